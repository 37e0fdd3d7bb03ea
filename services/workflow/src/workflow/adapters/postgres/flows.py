"""Flow versions in PostgreSQL: stages are stored as JSONB, one immutable row per version."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from shared import outbox
from shared.database import Connection
from shared.events import ServiceTypePublished
from shared.logging import current_correlation_id
from workflow.domain.calendar import DayCounting
from workflow.domain.flow import FlowVersion, Stage


def stage_to_json(stage: Stage) -> dict[str, Any]:
    data = asdict(stage)
    data["counting"] = stage.counting.value
    data["lab_statuses"] = list(stage.lab_statuses)
    return data


def stage_from_json(data: dict[str, Any]) -> Stage:
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


def normalized_stages(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored stages as the API shows them: every field, with defaults for older versions."""
    return [stage_to_json(stage_from_json(stage)) for stage in stages]


async def save_flow(
    conn: Connection,
    chain_id: UUID,
    service_type: str,
    name: str,
    stages: tuple[Stage, ...],
    *,
    created_by: str | None = None,
) -> FlowVersion:
    """Store ``stages`` as the next version of ``service_type`` (creating the type if new).

    Publishes ``service_type.published.v1`` through the outbox in the caller's transaction.
    No validation here: callers go through ``workflow.usecases.save_flow_version.publish_flow``.
    """
    active = await conn.fetchval(
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
    await conn.execute(
        "SELECT 1 FROM service_types WHERE chain_id = $1 AND code = $2 FOR UPDATE",
        chain_id,
        service_type,
    )
    version = await conn.fetchval(
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
    await enqueue_published(conn, chain_id, flow, active=bool(active))
    return flow


async def enqueue_published(
    conn: Connection, chain_id: UUID, flow: FlowVersion, *, active: bool
) -> None:
    """Tell the other services (intake) which flow version new orders of the type take."""
    await outbox.enqueue(
        conn,
        ServiceTypePublished(
            occurred_at=datetime.now(UTC),
            correlation_id=current_correlation_id(),
            chain_id=chain_id,
            code=flow.service_type,
            name=flow.name,
            flow_version=flow.version,
            active=active,
        ),
    )


async def is_active(conn: Connection, chain_id: UUID, service_type: str) -> bool:
    """Whether new orders may take this service type (switched off types keep their flows)."""
    return bool(
        await conn.fetchval(
            "SELECT active FROM service_types WHERE chain_id = $1 AND code = $2",
            chain_id,
            service_type,
        )
    )


async def set_active(conn: Connection, chain_id: UUID, service_type: str, active: bool) -> None:
    await conn.execute(
        "UPDATE service_types SET active = $3 WHERE chain_id = $1 AND code = $2",
        chain_id,
        service_type,
        active,
    )


async def lock_service_type(
    conn: Connection, chain_id: UUID, service_type: str
) -> dict[str, Any] | None:
    """The type's row, locked for the transaction (None when the chain has no such type)."""
    row = await conn.fetchrow(
        "SELECT chain_id, code, name, active, created_at FROM service_types "
        "WHERE chain_id = $1 AND code = $2 FOR UPDATE",
        chain_id,
        service_type,
    )
    return dict(row) if row else None


async def create_service_type(
    conn: Connection, chain_id: UUID, service_type: str, name: str, active: bool
) -> bool:
    """Insert the type's row; False when the chain has it already."""
    created = await conn.fetchval(
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


async def latest_flow(conn: Connection, chain_id: UUID, service_type: str) -> FlowVersion | None:
    return await _flow(conn, chain_id, service_type, None)


async def flow_version(
    conn: Connection, chain_id: UUID, service_type: str, version: int
) -> FlowVersion | None:
    return await _flow(conn, chain_id, service_type, version)


async def _flow(
    conn: Connection, chain_id: UUID, service_type: str, version: int | None
) -> FlowVersion | None:
    row = await conn.fetchrow(
        """
        SELECT coalesce(v.name, t.name) AS name, v.version, v.stages FROM flow_versions v
        JOIN service_types t ON t.chain_id = v.chain_id AND t.code = v.service_type
        WHERE v.chain_id = $1 AND v.service_type = $2 AND ($3::int IS NULL OR v.version = $3)
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


async def version_rows(
    conn: Connection, chain_id: UUID, service_type: str, limit: int, offset: int
) -> list[dict[str, Any]]:
    """The type's versions, newest first, with their stages and who saved them."""
    rows = await conn.fetch(
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
    return [_normalized(r) for r in rows]


def _normalized(row: Any) -> dict[str, Any]:
    found = dict(row)
    found["stages"] = normalized_stages(found["stages"])
    return found


async def version_row(
    conn: Connection, chain_id: UUID, service_type: str, version: int
) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        """
        SELECT service_type AS code, version, name, stages, created_at, created_by
        FROM flow_versions WHERE chain_id = $1 AND service_type = $2 AND version = $3
        """,
        chain_id,
        service_type,
        version,
    )
    return _normalized(row) if row else None


async def service_type_row(
    conn: Connection, chain_id: UUID, service_type: str
) -> dict[str, Any] | None:
    """The type with its latest version (None when unknown in the chain)."""
    rows = await _service_types(conn, chain_id, service_type, 1, 0)
    return rows[0] if rows else None


async def list_service_types(
    conn: Connection, chain_id: UUID, limit: int, offset: int
) -> list[dict[str, Any]]:
    return await _service_types(conn, chain_id, None, limit + 1, offset)


async def _service_types(
    conn: Connection, chain_id: UUID, code: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
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
    return [_normalized(r) for r in rows]
