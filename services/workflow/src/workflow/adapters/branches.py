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
    """Keep the newest snapshot: an older event never overwrites a newer one."""
    await conn.execute(
        """
        INSERT INTO branches (branch_id, chain_id, code, name, state, city, timezone, phone,
                              updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (branch_id) DO UPDATE SET
            code = EXCLUDED.code, name = EXCLUDED.name, state = EXCLUDED.state,
            city = EXCLUDED.city, timezone = EXCLUDED.timezone, phone = EXCLUDED.phone,
            updated_at = EXCLUDED.updated_at
        WHERE branches.updated_at < EXCLUDED.updated_at AND branches.chain_id = EXCLUDED.chain_id
        """,
        branch.branch_id,
        chain_id,
        branch.code,
        branch.name,
        branch.state,
        branch.city,
        branch.timezone,
        branch.phone,
        as_of,
    )


async def ensure_branch(
    conn: Connection, chain_id: UUID, branch: BranchSnapshot, as_of: datetime
) -> dict[str, Any]:
    """The branch row, inserted from ``branch`` if its branch.upserted has not arrived yet."""
    await conn.execute(
        """
        INSERT INTO branches (branch_id, chain_id, code, name, state, city, timezone, phone,
                              updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (branch_id) DO NOTHING
        """,
        branch.branch_id,
        chain_id,
        branch.code,
        branch.name,
        branch.state,
        branch.city,
        branch.timezone,
        branch.phone,
        as_of,
    )
    row = await conn.fetchrow(
        "SELECT * FROM branches WHERE branch_id = $1 AND chain_id = $2", branch.branch_id, chain_id
    )
    if row is None:
        raise LookupError(f"branch {branch.branch_id} belongs to another chain")
    return dict(row)
