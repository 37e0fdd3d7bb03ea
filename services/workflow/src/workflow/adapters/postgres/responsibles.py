"""Each stage's default responsible person, per branch (``stage_responsibles``).

Keyed by the stage's key within the service type, so a new flow version keeps its stages'
people. Only people who may take the branch's orders count when an order enters a stage: active,
not read-only, working in the branch (a chain admin works in every branch).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.database import Connection
from workflow.domain.responsibles import Person

ELIGIBLE = """
    s.active AND s.role <> 'viewer' AND (s.role = 'chain_admin' OR r.branch_id = ANY(s.branch_ids))
"""


async def defaults_for(
    conn: Connection, chain_id: UUID, service_type: str, branch_id: UUID
) -> Mapping[str, Person]:
    """Stage key → the branch's default person, for the people who may take its orders."""
    rows = await conn.fetch(
        f"""
        SELECT r.stage_key, s.user_id, s.name FROM stage_responsibles r
        JOIN staff s ON s.user_id = r.user_id AND s.chain_id = r.chain_id
        WHERE r.chain_id = $1 AND r.service_type = $2 AND r.branch_id = $3 AND {ELIGIBLE}
        """,
        chain_id,
        service_type,
        branch_id,
    )
    return {r["stage_key"]: Person(str(r["user_id"]), r["name"]) for r in rows}


async def list_for_type(
    conn: Connection, chain_id: UUID, service_type: str, branches: frozenset[UUID] | None
) -> list[dict[str, Any]]:
    """Every stage/branch default of the type (in the caller's branches), with the person's
    name and whether they may still take the branch's orders (``eligible``)."""
    rows = await conn.fetch(
        f"""
        SELECT r.stage_key, r.branch_id, b.code AS branch_code, b.timezone, r.user_id,
            s.name AS user_name, coalesce({ELIGIBLE}, false) AS eligible, r.set_by, r.set_at
        FROM stage_responsibles r
        LEFT JOIN staff s ON s.user_id = r.user_id AND s.chain_id = r.chain_id
        LEFT JOIN branches b ON b.branch_id = r.branch_id
        WHERE r.chain_id = $1 AND r.service_type = $2
          AND ($3::uuid[] IS NULL OR r.branch_id = ANY($3::uuid[]))
        ORDER BY r.stage_key, b.code, r.branch_id
        """,
        chain_id,
        service_type,
        None if branches is None else list(branches),
    )
    return [dict(r) for r in rows]


async def set_default(
    conn: Connection,
    chain_id: UUID,
    service_type: str,
    stage_key: str,
    branch_id: UUID,
    user_id: UUID | None,
    *,
    by: str,
    at: datetime,
) -> None:
    """Name the stage's person in the branch (``None``: nobody)."""
    if user_id is None:
        await conn.execute(
            "DELETE FROM stage_responsibles WHERE chain_id = $1 AND service_type = $2 "
            "AND stage_key = $3 AND branch_id = $4",
            chain_id,
            service_type,
            stage_key,
            branch_id,
        )
        return
    await conn.execute(
        """
        INSERT INTO stage_responsibles (chain_id, service_type, stage_key, branch_id, user_id,
            set_by, set_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (chain_id, service_type, stage_key, branch_id) DO UPDATE SET
            user_id = EXCLUDED.user_id, set_by = EXCLUDED.set_by, set_at = EXCLUDED.set_at
        """,
        chain_id,
        service_type,
        stage_key,
        branch_id,
        user_id,
        by,
        at,
    )
