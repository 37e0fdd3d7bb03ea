"""Flow versions in PostgreSQL: stages are stored as JSONB, one immutable row per version."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from uuid import UUID

from shared.database import Connection
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
    )


async def save_flow(
    conn: Connection,
    chain_id: UUID,
    service_type: str,
    name: str,
    stages: tuple[Stage, ...],
) -> FlowVersion:
    """Store ``stages`` as the next version of ``service_type`` (creating the type if new)."""
    await conn.execute(
        """
        INSERT INTO service_types (chain_id, code, name) VALUES ($1, $2, $3)
        ON CONFLICT (chain_id, code) DO UPDATE SET name = EXCLUDED.name
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
        INSERT INTO flow_versions (chain_id, service_type, version, stages)
        SELECT $1, $2, coalesce(max(version), 0) + 1, $3 FROM flow_versions
        WHERE chain_id = $1 AND service_type = $2
        RETURNING version
        """,
        chain_id,
        service_type,
        [stage_to_json(s) for s in stages],
    )
    return FlowVersion(service_type=service_type, name=name, version=version, stages=stages)


async def latest_flow(conn: Connection, chain_id: UUID, service_type: str) -> FlowVersion | None:
    return await _flow(conn, chain_id, service_type, None)


async def _flow(
    conn: Connection, chain_id: UUID, service_type: str, version: int | None
) -> FlowVersion | None:
    row = await conn.fetchrow(
        """
        SELECT t.name, v.version, v.stages FROM flow_versions v
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


async def list_service_types(
    conn: Connection, chain_id: UUID, limit: int, offset: int
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """
        SELECT t.chain_id, t.code, t.name, v.version, v.stages, v.created_at
        FROM service_types t
        JOIN LATERAL (
            SELECT version, stages, created_at FROM flow_versions
            WHERE chain_id = t.chain_id AND service_type = t.code
            ORDER BY version DESC LIMIT 1
        ) v ON true
        WHERE t.chain_id = $1
        ORDER BY t.chain_id, t.code LIMIT $2 OFFSET $3
        """,
        chain_id,
        limit + 1,
        offset,
    )
    return [dict(r) for r in rows]
