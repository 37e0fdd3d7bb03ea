"""The chain directory: chains and their branches. A branch change publishes branch.upserted."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from shared import outbox
from shared.database import Connection
from shared.events import BranchSnapshot, BranchUpserted, SendingWindow
from shared.logging import current_correlation_id


class DirectoryConflict(ValueError):
    """A name or code is already taken."""


class UnknownChain(LookupError):
    pass


async def create_chain(conn: Connection, name: str, chain_id: UUID | None = None) -> dict[str, Any]:
    try:
        row = await conn.fetchrow(
            "INSERT INTO chains (chain_id, name) VALUES ($1, $2) "
            "RETURNING chain_id, name, created_at",
            chain_id or uuid4(),
            name,
        )
    except asyncpg.UniqueViolationError:
        raise DirectoryConflict(f"a chain named {name!r} already exists") from None
    assert row is not None  # INSERT … RETURNING always returns the row
    return dict(row)


async def get_chain(conn: Connection, chain_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT chain_id, name, created_at FROM chains WHERE chain_id = $1", chain_id
    )
    return dict(row) if row else None


_BRANCH_COLUMNS = (
    "branch_id, chain_id, code, name, state, city, timezone, phone, address, opening_hours, "
    "sms_starts_at, sms_ends_at, sms_weekdays, updated_at"
)


async def upsert_branch(
    conn: Connection,
    *,
    chain_id: UUID,
    snapshot: BranchSnapshot,
    window: SendingWindow,
    now: datetime,
) -> dict[str, Any]:
    """Create or update a branch and publish ``branch.upserted.v1`` in the same transaction."""
    chain_name = await conn.fetchval("SELECT name FROM chains WHERE chain_id = $1", chain_id)
    if chain_name is None:
        raise UnknownChain(f"chain {chain_id} does not exist")
    await _check_code_keeps_numbers_unique(conn, chain_id, snapshot)
    try:
        row = await conn.fetchrow(
            f"""
            INSERT INTO branches (branch_id, chain_id, code, name, state, city, timezone, phone,
                                  sms_starts_at, sms_ends_at, sms_weekdays, updated_at, address,
                                  opening_hours)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
            ON CONFLICT (branch_id) DO UPDATE SET
                code = EXCLUDED.code, name = EXCLUDED.name, state = EXCLUDED.state,
                city = EXCLUDED.city, timezone = EXCLUDED.timezone, phone = EXCLUDED.phone,
                address = EXCLUDED.address, opening_hours = EXCLUDED.opening_hours,
                sms_starts_at = EXCLUDED.sms_starts_at, sms_ends_at = EXCLUDED.sms_ends_at,
                sms_weekdays = EXCLUDED.sms_weekdays, updated_at = EXCLUDED.updated_at
            WHERE branches.chain_id = EXCLUDED.chain_id
            RETURNING {_BRANCH_COLUMNS}
            """,
            snapshot.branch_id,
            chain_id,
            snapshot.code,
            snapshot.name,
            snapshot.state,
            snapshot.city,
            snapshot.timezone,
            snapshot.phone,
            window.starts_at,
            window.ends_at,
            list(window.weekdays),
            now,
            snapshot.address,
            snapshot.opening_hours,
        )
    except asyncpg.UniqueViolationError:
        raise DirectoryConflict(
            f"branch code {snapshot.code!r} is already used in this chain"
        ) from None
    if row is None:
        raise DirectoryConflict(f"branch {snapshot.branch_id} belongs to another chain")
    await outbox.enqueue(
        conn,
        BranchUpserted(
            occurred_at=now,
            correlation_id=current_correlation_id(),
            chain_id=chain_id,
            branch=snapshot.model_copy(update={"chain_name": chain_name}),
            sending_window=window,
        ),
    )
    return dict(row)


async def _check_code_keeps_numbers_unique(
    conn: Connection, chain_id: UUID, snapshot: BranchSnapshot
) -> None:
    """Order numbers start with the branch code, so a code that numbers orders stays theirs."""
    current = await conn.fetchval(
        "SELECT code FROM branches WHERE branch_id = $1 AND chain_id = $2",
        snapshot.branch_id,
        chain_id,
    )
    if current == snapshot.code:
        return
    if current is not None and await conn.fetchval(
        "SELECT 1 FROM orders WHERE branch_id = $1 LIMIT 1", snapshot.branch_id
    ):
        raise DirectoryConflict(
            f"code: branch {current} already has orders numbered {current}-…; its code stays"
        )
    if await conn.fetchval(
        "SELECT 1 FROM orders WHERE chain_id = $1 AND number LIKE $2 LIMIT 1",
        chain_id,
        snapshot.code.replace("_", r"\_") + "-%",
    ):
        raise DirectoryConflict(
            f"code: {snapshot.code} numbered orders of another branch; choose another code"
        )


async def get_branch(conn: Connection, chain_id: UUID, branch_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"SELECT {_BRANCH_COLUMNS} FROM branches WHERE chain_id = $1 AND branch_id = $2",
        chain_id,
        branch_id,
    )
    return dict(row) if row else None


async def list_branches(
    conn: Connection,
    chain_id: UUID,
    branches: frozenset[UUID] | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """The chain's branches; with ``branches``, only those."""
    rows = await conn.fetch(
        f"""
        SELECT {_BRANCH_COLUMNS} FROM branches
        WHERE chain_id = $1 AND ($2::uuid[] IS NULL OR branch_id = ANY($2::uuid[]))
        ORDER BY code LIMIT $3 OFFSET $4
        """,
        chain_id,
        None if branches is None else list(branches),
        limit + 1,
        offset,
    )
    return [dict(r) for r in rows]


def snapshot_of(branch: dict[str, Any], chain_name: str | None = None) -> BranchSnapshot:
    return BranchSnapshot(
        branch_id=branch["branch_id"],
        code=branch["code"],
        name=branch["name"],
        state=branch["state"],
        city=branch["city"],
        timezone=branch["timezone"],
        phone=branch["phone"],
        address=branch.get("address"),
        opening_hours=branch.get("opening_hours"),
        chain_name=chain_name,
    )
