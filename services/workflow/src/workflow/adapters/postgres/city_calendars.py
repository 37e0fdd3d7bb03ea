"""A chain's imported city holiday lists, and the copy each branch in that city carries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.database import Connection
from workflow.adapters.city_holidays import plain
from workflow.adapters.city_import import ImportedDay


async def replace_city_list(
    conn: Connection,
    chain_id: UUID,
    state: str,
    city: str,
    days: Sequence[ImportedDay],
    *,
    source: str,
    by: str,
    at: datetime,
) -> int:
    """The chain's list for the city becomes ``days``; each branch of the chain in the city
    gets the copy (and a new calendar revision). Returns how many branches took it."""
    key = plain(city)
    await conn.execute(
        "DELETE FROM city_holiday_imports WHERE chain_id = $1 AND state = $2 AND city_key = $3",
        chain_id,
        state,
        key,
    )
    await conn.executemany(
        """
        INSERT INTO city_holiday_imports (chain_id, state, city_key, city_name, day, name,
            source, imported_by, imported_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING
        """,
        [(chain_id, state, key, city, d.day, d.name, d.source or source, by, at) for d in days],
    )
    branches = await conn.fetch(
        "SELECT branch_id, city FROM branches WHERE chain_id = $1 AND upper(state) = $2",
        chain_id,
        state,
    )
    ids = [b["branch_id"] for b in branches if plain(b["city"]) == key]
    copy = await city_list(conn, chain_id, state, city)
    await conn.execute(
        "UPDATE branches SET city_holidays = $2, calendar_revision = calendar_revision + 1 "
        "WHERE branch_id = ANY($1::uuid[])",
        ids,
        copy,
    )
    return len(ids)


async def city_list(
    conn: Connection, chain_id: UUID, state: str, city: str
) -> list[dict[str, Any]] | None:
    """The chain's imported list for the city (None: it imported none), as the branch copy."""
    rows = await conn.fetch(
        """
        SELECT day, name, source, imported_by, imported_at FROM city_holiday_imports
        WHERE chain_id = $1 AND state = $2 AND city_key = $3 ORDER BY day, name
        """,
        chain_id,
        state.strip().upper(),
        plain(city),
    )
    if not rows:
        return None
    return [{"date": r["day"].isoformat(), "name": r["name"], "source": r["source"]} for r in rows]


async def attach_to_branch(conn: Connection, chain_id: UUID, branch_id: UUID) -> None:
    """Give a branch (new, or whose city changed) its city's imported list, if the chain has
    one; clear a copy that no longer matches its city."""
    row = await conn.fetchrow(
        "SELECT state, city, city_holidays FROM branches WHERE branch_id = $1 AND chain_id = $2",
        branch_id,
        chain_id,
    )
    if row is None:
        return
    copy = await city_list(conn, chain_id, row["state"], row["city"])
    if copy != row["city_holidays"]:
        await conn.execute(
            "UPDATE branches SET city_holidays = $2, calendar_revision = calendar_revision + 1 "
            "WHERE branch_id = $1",
            branch_id,
            copy,
        )
