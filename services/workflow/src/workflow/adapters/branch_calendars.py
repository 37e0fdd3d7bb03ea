"""Branch calendar settings and the chain's optional days in PostgreSQL.

Each change bumps the branch row's ``calendar_revision``, the key calendar caches check.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.database import Connection

_BRANCH_COLUMNS = """
    branch_id, chain_id, code, name, state, city, timezone, phone, updated_at, optional_days,
    calendar, calendar_revision, calendar_updated_at, calendar_updated_by, city_holidays
"""


async def get_branch(conn: Connection, chain_id: UUID, branch_id: UUID) -> dict[str, Any] | None:
    """The chain's branch row with its calendar settings (None for another chain's branch)."""
    row = await conn.fetchrow(
        f"SELECT {_BRANCH_COLUMNS} FROM branches WHERE branch_id = $1 AND chain_id = $2",
        branch_id,
        chain_id,
    )
    return dict(row) if row else None


async def save_branch_calendar(
    conn: Connection,
    chain_id: UUID,
    branch_id: UUID,
    settings: dict[str, Any],
    *,
    actor: str | None,
    now: datetime,
) -> dict[str, Any] | None:
    """Store the branch's settings; the new row, or None for another chain's branch."""
    row = await conn.fetchrow(
        f"""
        UPDATE branches SET calendar = $3, calendar_revision = calendar_revision + 1,
            calendar_updated_at = $4, calendar_updated_by = $5
        WHERE branch_id = $1 AND chain_id = $2
        RETURNING {_BRANCH_COLUMNS}
        """,
        branch_id,
        chain_id,
        settings,
        now,
        actor,
    )
    return dict(row) if row else None


async def chain_optional_days(conn: Connection, chain_id: UUID) -> dict[str, Any]:
    row = await conn.fetchrow(
        "SELECT optional_days, updated_at, updated_by FROM chain_calendars WHERE chain_id = $1",
        chain_id,
    )
    if row is None:
        return {"optional_days": [], "updated_at": None, "updated_by": None}
    return dict(row)


async def set_chain_optional_days(
    conn: Connection, chain_id: UUID, days: Iterable[str], *, actor: str | None, now: datetime
) -> list[UUID]:
    """Store the chain's choice and copy it to each of its branches; their ids."""
    chosen = sorted(set(days))
    await conn.execute(
        """
        INSERT INTO chain_calendars (chain_id, optional_days, updated_at, updated_by)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (chain_id) DO UPDATE SET optional_days = EXCLUDED.optional_days,
            updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
        """,
        chain_id,
        chosen,
        now,
        actor,
    )
    rows = await conn.fetch(
        """
        UPDATE branches SET optional_days = $2, calendar_revision = calendar_revision + 1
        WHERE chain_id = $1 RETURNING branch_id
        """,
        chain_id,
        chosen,
    )
    return [row["branch_id"] for row in rows]
