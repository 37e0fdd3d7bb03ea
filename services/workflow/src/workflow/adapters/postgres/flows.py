"""Service types and flow versions in PostgreSQL: stages as JSONB, one immutable row per version.

``service_types`` holds each type's code, current name and ``active``; ``flow_versions`` one
row per saved version (stages, name, who saved it). ``add_version`` locks the type's row, so
two saves never take the same version number.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict
from uuid import UUID

import asyncpg

from shared.database import Connection
from workflow.adapters.postgres.read_cache import ReadCaches, TransactionReads
from workflow.domain.calendar import DayCounting
from workflow.domain.flow import FlowVersion, Stage
from workflow.domain.records import SavedFlowVersion, ServiceType


class StageJson(TypedDict):
    """A stage as stored in ``flow_versions.stages`` (older versions lack the newer keys)."""

    key: str
    name: str
    planned_days: int
    counting: str
    description: NotRequired[str]
    sms_template: NotRequired[str | None]
    responsible_role: NotRequired[str | None]
    lab_statuses: NotRequired[list[str]]
    pauses_clock: NotRequired[bool]
    sms_on_reentry: NotRequired[bool]
    visible_to_customer: NotRequired[bool]
    customer_name: NotRequired[str | None]


def stage_to_json(stage: Stage) -> StageJson:
    """Every field, in the order ``Stage`` declares them."""
    return StageJson(
        key=stage.key,
        name=stage.name,
        planned_days=stage.planned_days,
        counting=stage.counting.value,
        description=stage.description,
        sms_template=stage.sms_template,
        responsible_role=stage.responsible_role,
        lab_statuses=list(stage.lab_statuses),
        pauses_clock=stage.pauses_clock,
        sms_on_reentry=stage.sms_on_reentry,
        visible_to_customer=stage.visible_to_customer,
        customer_name=stage.customer_name,
    )


def stage_from_json(data: StageJson) -> Stage:
    return Stage(
        key=data["key"],
        name=data["name"],
        planned_days=int(data["planned_days"]),
        counting=DayCounting(data["counting"]),
        description=data.get("description", ""),
        sms_template=data.get("sms_template"),
        responsible_role=data.get("responsible_role"),
        lab_statuses=tuple(data.get("lab_statuses", ())),
        pauses_clock=bool(data.get("pauses_clock", False)),
        sms_on_reentry=bool(data.get("sms_on_reentry", False)),
        # Versions saved before these fields existed: every stage visible, under its own name.
        visible_to_customer=bool(data.get("visible_to_customer", True)),
        customer_name=data.get("customer_name"),
    )


def normalized_stages(stages: list[StageJson]) -> list[StageJson]:
    """Stored stages as the API shows them: every field, with defaults for older versions."""
    return [stage_to_json(stage_from_json(stage)) for stage in stages]


class PostgresFlowStore:
    def __init__(
        self,
        conn: Connection,
        caches: ReadCaches | None = None,
        reads: TransactionReads | None = None,
    ) -> None:
        self._conn = conn
        self._caches = caches or ReadCaches()
        self._reads = reads or TransactionReads()

    async def latest(self, chain_id: UUID, service_type: str) -> FlowVersion | None:
        return await self._flow(chain_id, service_type, None)

    async def version(self, chain_id: UUID, service_type: str, version: int) -> FlowVersion | None:
        return await self._flow(chain_id, service_type, version)

    async def for_order(self, chain_id: UUID, service_type: str, version: int) -> FlowVersion:
        """The version an order runs on, under the type's current name; LookupError if gone.

        No query when the version's stages are cached (they never change) and this
        transaction read the type's current name already (with the order's row)."""
        key = (chain_id, service_type, version)
        stages = self._caches.flows.get(key)
        name = self._reads.type_names.get((chain_id, service_type))
        if stages is not None and name is not None:
            return FlowVersion(service_type=service_type, name=name, version=version, stages=stages)
        row = await self._conn.fetchrow(
            """
            SELECT t.name, v.stages FROM flow_versions v
            JOIN service_types t ON t.chain_id = v.chain_id AND t.code = v.service_type
            WHERE v.chain_id = $1 AND v.service_type = $2 AND v.version = $3
            """,
            chain_id,
            service_type,
            version,
        )
        if row is None:
            raise LookupError(f"flow {service_type!r} version {version} not found")
        flow = FlowVersion(
            service_type=service_type,
            name=row["name"],
            version=version,
            stages=tuple(stage_from_json(s) for s in row["stages"]),
        )
        self._caches.flows.put(key, flow.stages)
        self._reads.type_names[(chain_id, service_type)] = flow.name
        return flow

    async def is_active(self, chain_id: UUID, service_type: str) -> bool:
        return bool(
            await self._conn.fetchval(
                "SELECT active FROM service_types WHERE chain_id = $1 AND code = $2",
                chain_id,
                service_type,
            )
        )

    async def create_service_type(
        self, chain_id: UUID, service_type: str, name: str, active: bool
    ) -> bool:
        created = await self._conn.fetchval(
            """
            INSERT INTO service_types (chain_id, code, name, active) VALUES ($1, $2, $3, $4)
            ON CONFLICT (chain_id, code) DO NOTHING RETURNING true
            """,
            chain_id,
            service_type,
            name,
            active,
        )
        return bool(created)

    async def lock_service_type(self, chain_id: UUID, service_type: str) -> bool | None:
        active: bool | None = await self._conn.fetchval(
            "SELECT active FROM service_types WHERE chain_id = $1 AND code = $2 FOR UPDATE",
            chain_id,
            service_type,
        )
        return active

    async def set_active(self, chain_id: UUID, service_type: str, active: bool) -> None:
        await self._conn.execute(
            "UPDATE service_types SET active = $3 WHERE chain_id = $1 AND code = $2",
            chain_id,
            service_type,
            active,
        )

    async def add_version(
        self,
        chain_id: UUID,
        service_type: str,
        name: str,
        stages: tuple[Stage, ...],
        *,
        created_by: str | None,
    ) -> tuple[FlowVersion, bool]:
        active = await self._conn.fetchval(
            """
            INSERT INTO service_types (chain_id, code, name) VALUES ($1, $2, $3)
            ON CONFLICT (chain_id, code) DO UPDATE SET name = EXCLUDED.name
            RETURNING active
            """,
            chain_id,
            service_type,
            name,
        )
        # Lock the type's row so two saves cannot both take the same version number.
        await self._conn.execute(
            "SELECT 1 FROM service_types WHERE chain_id = $1 AND code = $2 FOR UPDATE",
            chain_id,
            service_type,
        )
        version = await self._conn.fetchval(
            """
            INSERT INTO flow_versions (chain_id, service_type, version, stages, name, created_by)
            SELECT $1, $2, coalesce(max(version), 0) + 1, $3, $4, $5 FROM flow_versions
            WHERE chain_id = $1 AND service_type = $2
            RETURNING version
            """,
            chain_id,
            service_type,
            [stage_to_json(s) for s in stages],
            name,
            created_by,
        )
        flow = FlowVersion(service_type=service_type, name=name, version=version, stages=stages)
        self._reads.type_names[(chain_id, service_type)] = name
        return flow, bool(active)

    async def _flow(
        self, chain_id: UUID, service_type: str, version: int | None
    ) -> FlowVersion | None:
        row = await self._conn.fetchrow(
            """
            SELECT coalesce(v.name, t.name) AS name, v.version, v.stages FROM flow_versions v
            JOIN service_types t ON t.chain_id = v.chain_id AND t.code = v.service_type
            WHERE v.chain_id = $1 AND v.service_type = $2
                AND ($3::int IS NULL OR v.version = $3)
            ORDER BY v.version DESC LIMIT 1
            """,
            chain_id,
            service_type,
            version,
        )
        if row is None:
            return None
        return FlowVersion(
            service_type=service_type,
            name=row["name"],
            version=row["version"],
            stages=tuple(stage_from_json(s) for s in row["stages"]),
        )

    # Reads for the API --------------------------------------------------------------------

    async def service_type(self, chain_id: UUID, code: str) -> ServiceType | None:
        """The type with its latest version (None when unknown in the chain)."""
        found = await self._service_types(chain_id, code, 1, 0)
        return found[0] if found else None

    async def service_types(self, chain_id: UUID, limit: int, offset: int) -> list[ServiceType]:
        """The chain's types by code; one more than ``limit`` when there is a next page."""
        return await self._service_types(chain_id, None, limit + 1, offset)

    async def saved_versions(
        self, chain_id: UUID, service_type: str, limit: int, offset: int
    ) -> list[SavedFlowVersion]:
        """The type's versions, newest first; one more than ``limit`` when there are more."""
        rows = await self._conn.fetch(
            """
            SELECT service_type AS code, version, name, stages, created_at, created_by
            FROM flow_versions WHERE chain_id = $1 AND service_type = $2
            ORDER BY version DESC LIMIT $3 OFFSET $4
            """,
            chain_id,
            service_type,
            limit + 1,
            offset,
        )
        return [_saved_version(r) for r in rows]

    async def saved_version(
        self, chain_id: UUID, service_type: str, version: int
    ) -> SavedFlowVersion | None:
        row = await self._conn.fetchrow(
            """
            SELECT service_type AS code, version, name, stages, created_at, created_by
            FROM flow_versions WHERE chain_id = $1 AND service_type = $2 AND version = $3
            """,
            chain_id,
            service_type,
            version,
        )
        return _saved_version(row) if row else None

    async def _service_types(
        self, chain_id: UUID, code: str | None, limit: int, offset: int
    ) -> list[ServiceType]:
        rows = await self._conn.fetch(
            """
            SELECT t.chain_id, t.code, t.name, t.active, v.version, v.stages, v.created_at,
                   v.created_by
            FROM service_types t
            JOIN LATERAL (
                SELECT version, stages, created_at, created_by FROM flow_versions
                WHERE chain_id = t.chain_id AND service_type = t.code
                ORDER BY version DESC LIMIT 1
            ) v ON true
            WHERE t.chain_id = $1 AND ($2::text IS NULL OR t.code = $2)
            ORDER BY t.chain_id, t.code LIMIT $3 OFFSET $4
            """,
            chain_id,
            code,
            limit,
            offset,
        )
        return [
            ServiceType(
                chain_id=r["chain_id"],
                code=r["code"],
                name=r["name"],
                active=r["active"],
                version=r["version"],
                stages=tuple(stage_from_json(s) for s in r["stages"]),
                created_at=r["created_at"],
                created_by=r["created_by"],
            )
            for r in rows
        ]


def _saved_version(row: asyncpg.Record) -> SavedFlowVersion:
    return SavedFlowVersion(
        code=row["code"],
        version=row["version"],
        name=row["name"],
        stages=tuple(stage_from_json(s) for s in row["stages"]),
        created_at=row["created_at"],
        created_by=row["created_by"],
    )
