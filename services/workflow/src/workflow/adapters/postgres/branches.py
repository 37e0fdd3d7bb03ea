"""The workflow's copy of branches, kept from branch.upserted and order.opened events."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from shared.database import Connection
from shared.events import BranchSnapshot


async def upsert_branch(
    conn: Connection, chain_id: UUID, branch: BranchSnapshot, as_of: datetime
) -> None:
    """Keep the newest snapshot: an older event never overwrites a newer one.

    The chain's name is kept when a snapshot lacks it (an older producer); the address,
    phone and opening hours are the snapshot's, so a branch can clear them.
    """
    await conn.execute(
        """
        INSERT INTO branches (branch_id, chain_id, code, name, state, city, timezone, phone,
                              updated_at, address, opening_hours, chain_name)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
        ON CONFLICT (branch_id) DO UPDATE SET
            code = EXCLUDED.code, name = EXCLUDED.name, state = EXCLUDED.state,
            city = EXCLUDED.city, timezone = EXCLUDED.timezone, phone = EXCLUDED.phone,
            address = EXCLUDED.address, opening_hours = EXCLUDED.opening_hours,
            chain_name = coalesce(EXCLUDED.chain_name, branches.chain_name),
            updated_at = EXCLUDED.updated_at
        WHERE branches.updated_at < EXCLUDED.updated_at AND branches.chain_id = EXCLUDED.chain_id
        """,
        *_values(chain_id, branch, as_of),
    )


async def ensure_branch(
    conn: Connection, chain_id: UUID, branch: BranchSnapshot, as_of: datetime
) -> dict[str, Any]:
    """The branch row, inserted from ``branch`` if its branch.upserted has not arrived yet.

    A row without the chain's name (kept before the customer page existed) takes it here.
    """
    await conn.execute(
        """
        INSERT INTO branches (branch_id, chain_id, code, name, state, city, timezone, phone,
                              updated_at, address, opening_hours, chain_name)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
        ON CONFLICT (branch_id) DO UPDATE SET chain_name = EXCLUDED.chain_name
        WHERE branches.chain_name IS NULL AND EXCLUDED.chain_name IS NOT NULL
            AND branches.chain_id = EXCLUDED.chain_id
        """,
        *_values(chain_id, branch, as_of),
    )
    row = await conn.fetchrow(
        "SELECT * FROM branches WHERE branch_id = $1 AND chain_id = $2", branch.branch_id, chain_id
    )
    if row is None:
        raise LookupError(f"branch {branch.branch_id} belongs to another chain")
    return dict(row)


def _values(chain_id: UUID, branch: BranchSnapshot, as_of: datetime) -> tuple[Any, ...]:
    return (
        branch.branch_id,
        chain_id,
        branch.code,
        branch.name,
        branch.state,
        branch.city,
        branch.timezone,
        branch.phone,
        as_of,
        branch.address,
        branch.opening_hours,
        branch.chain_name,
    )
