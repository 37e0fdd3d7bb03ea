"""Workflow's copy of the chain's people, kept from intake's ``user.upserted`` events, and the
store the use cases reach them by (``usecases.ports.StaffStore``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from shared.database import Connection
from workflow.adapters.postgres import responsibles
from workflow.adapters.postgres.read_cache import TransactionReads
from workflow.domain.records import StaffMember
from workflow.domain.responsibles import Person


class PostgresStaffStore:
    def __init__(self, conn: Connection, reads: TransactionReads | None = None) -> None:
        self._conn = conn
        self._reads = reads or TransactionReads()

    async def upsert(self, person: StaffMember) -> None:
        self._reads.stage_defaults.clear()
        await self._conn.execute(
            """
            INSERT INTO staff (user_id, chain_id, name, role, branch_ids, active, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (user_id) DO UPDATE SET
                name = EXCLUDED.name, role = EXCLUDED.role, branch_ids = EXCLUDED.branch_ids,
                active = EXCLUDED.active, updated_at = EXCLUDED.updated_at
            WHERE staff.updated_at <= EXCLUDED.updated_at AND staff.chain_id = EXCLUDED.chain_id
            """,
            person.user_id,
            person.chain_id,
            person.name,
            person.role,
            sorted(person.branch_ids),
            person.active,
            person.updated_at,
        )

    async def defaults_for(
        self, chain_id: UUID, service_type: str, branch_id: UUID
    ) -> Mapping[str, Person]:
        """As read with the order in this transaction, if it was; else a query."""
        known = self._reads.stage_defaults.get((chain_id, service_type, branch_id))
        if known is not None:
            return known
        return await responsibles.defaults_for(self._conn, chain_id, service_type, branch_id)


async def get_person(conn: Connection, chain_id: UUID, user_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT user_id, name, role, branch_ids, active FROM staff "
        "WHERE chain_id = $1 AND user_id = $2",
        chain_id,
        user_id,
    )
    return dict(row) if row else None


async def list_people(
    conn: Connection, chain_id: UUID, branches: frozenset[UUID] | None
) -> list[dict[str, Any]]:
    """The chain's active people who act on orders; with ``branches``, those working in one of
    them (chain admins work everywhere)."""
    rows = await conn.fetch(
        """
        SELECT user_id, name, role, branch_ids FROM staff
        WHERE chain_id = $1 AND active AND role <> 'viewer'
          AND ($2::uuid[] IS NULL OR role = 'chain_admin' OR branch_ids && $2::uuid[])
        ORDER BY name, user_id
        """,
        chain_id,
        None if branches is None else list(branches),
    )
    return [dict(r) for r in rows]
