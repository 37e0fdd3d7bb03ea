"""Intake's copy of the chain's service types (rules in ``intake.domain.service_types``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from uuid import UUID

from shared.database import Connection


class PostgresServiceTypes:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def keep(
        self,
        chain_id: UUID,
        code: str,
        name: str,
        flow_version: int,
        active: bool,
        updated_at: datetime,
    ) -> None:
        await self._conn.execute(
            """
            INSERT INTO service_types (chain_id, code, name, flow_version, active, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (chain_id, code) DO UPDATE SET
                name = EXCLUDED.name, flow_version = EXCLUDED.flow_version,
                active = EXCLUDED.active, updated_at = EXCLUDED.updated_at
            WHERE service_types.flow_version <= EXCLUDED.flow_version
            """,
            chain_id,
            code,
            name,
            flow_version,
            active,
            updated_at,
        )

    async def known(self, chain_id: UUID) -> Mapping[str, bool]:
        rows = await self._conn.fetch(
            "SELECT code, active FROM service_types WHERE chain_id = $1 ORDER BY code", chain_id
        )
        return {row["code"]: row["active"] for row in rows}
