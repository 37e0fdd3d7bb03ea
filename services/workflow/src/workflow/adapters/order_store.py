"""The order machine's state in PostgreSQL: load, save with optimistic concurrency, history.

``save_state`` writes only when ``orders.version`` is still the version the decision was made
on (``UPDATE … WHERE version = $n``); a False answer means another action got there first,
and the caller reloads and decides again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.database import Connection
from workflow.adapters.flows import stage_from_json
from workflow.domain.flow import FlowVersion
from workflow.domain.order_state import OrderState, State


@dataclass(frozen=True, slots=True)
class StoredOrder:
    """An order row: the machine's state (None when the order has no flow) and what surrounds it."""

    order_id: UUID
    chain_id: UUID
    branch_id: UUID
    number: str
    service_type: str
    customer_name: str
    lab_code: str | None
    status: str
    risk_level: str
    reopened_from: UUID | None
    tracking_token: str
    """The customer's link token (``/a/<token>``), random, never derived from the order id."""
    state: OrderState | None
    branch: dict[str, Any]


async def load(conn: Connection, chain_id: UUID, order_id: UUID) -> StoredOrder | None:
    row = await conn.fetchrow(
        "SELECT * FROM orders WHERE order_id = $1 AND chain_id = $2", order_id, chain_id
    )
    if row is None:
        return None
    branch = await conn.fetchrow("SELECT * FROM branches WHERE branch_id = $1", row["branch_id"])
    if branch is None:
        raise LookupError(f"branch {row['branch_id']} of order {order_id} not found")
    return StoredOrder(
        order_id=row["order_id"],
        chain_id=row["chain_id"],
        branch_id=row["branch_id"],
        number=row["number"],
        service_type=row["service_type"],
        customer_name=row["customer_name"],
        lab_code=row["lab_code"],
        status=row["status"],
        risk_level=row["risk_level"],
        reopened_from=row["reopened_from"],
        tracking_token=row["tracking_token"],
        state=_state(row),
        branch=dict(branch),
    )


def _state(row: Any) -> OrderState | None:
    if row["status"] not in State.__members__.values() or row["flow_version"] is None:
        return None
    return OrderState(
        status=State(row["status"]),
        flow_version=row["flow_version"],
        stage_position=row["stage_position"],
        entry_sequence=row["entry_sequence"],
        stage_entered_at=row["stage_entered_at"],
        stage_due_at=row["stage_due_at"],
        stage_planned_due_at=row["stage_planned_due_at"] or row["stage_due_at"],
        projected_completion_at=row["projected_completion_at"],
        promised_date=row["promised_date"],
        promised_date_proposed=row["promised_date_proposed"],
        assignee=row["assignee"],
        assignee_id=str(row["assignee_id"]) if row["assignee_id"] else None,
        paused_at=row["paused_at"],
        paused_total=row["paused_total"],
        lab_status=row["lab_status"],
        lab_eta=row["lab_eta"],
        # -infinity (stored from a year-1 lab time before intake refused them) comes back
        # naive: unknown, rather than a time no aware one can be compared with
        lab_reported_at=_aware(row["lab_reported_at"]),
        pause_reason=row["pause_reason"],
        projected_from_lab_eta=row["projected_from_lab_eta"],
        version=row["version"],
    )


def _aware(value: datetime | None) -> datetime | None:
    return value if value is not None and value.tzinfo is not None else None


async def flow_of(conn: Connection, chain_id: UUID, service_type: str, version: int) -> FlowVersion:
    row = await conn.fetchrow(
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
    return FlowVersion(
        service_type=service_type,
        name=row["name"],
        version=version,
        stages=tuple(stage_from_json(s) for s in row["stages"]),
    )


async def save_state(
    conn: Connection,
    order_id: UUID,
    state: OrderState,
    expected_version: int,
    *,
    now: datetime,
    due_explanation: str | None = None,
    due_explanation_addendum: str | None = None,
    projection_reason: str | None = None,
    closed: bool = False,
) -> bool:
    """Write ``state`` if the order is still at ``expected_version``; False on a conflict.

    ``due_explanation`` replaces the stage's explanation (a new stage); ``…_addendum`` is added
    to it (what a pause gave back)."""
    saved = await conn.fetchval(
        """
        UPDATE orders SET status = $3, stage_position = $4, entry_sequence = $5,
            stage_entered_at = $6, stage_due_at = $7, stage_planned_due_at = $8,
            projected_completion_at = $9, assignee = $10, paused_at = $11, paused_total = $12,
            lab_status = $13, lab_eta = $14, lab_reported_at = $15, version = $16,
            stage_due_explanation = coalesce(
                $17, stage_due_explanation || '; ' || $20, $20, stage_due_explanation),
            closed_at = CASE WHEN $18 THEN $19 ELSE closed_at END,
            risk_check_at = CASE WHEN $18 THEN NULL ELSE risk_check_at END,
            updated_at = $19, pause_reason = $21, projected_from_lab_eta = $22,
            projected_completion_reason = coalesce($23, projected_completion_reason),
            assignee_id = $24::uuid
        WHERE order_id = $1 AND version = $2
        RETURNING true
        """,
        order_id,
        expected_version,
        state.status.value,
        state.stage_position,
        state.entry_sequence,
        state.stage_entered_at,
        state.stage_due_at,
        state.stage_planned_due_at,
        state.projected_completion_at,
        state.assignee,
        state.paused_at,
        state.paused_total,
        state.lab_status,
        state.lab_eta,
        state.lab_reported_at,
        state.version,
        due_explanation,
        closed,
        now,
        due_explanation_addendum,
        state.pause_reason,
        state.projected_from_lab_eta,
        projection_reason,
        state.assignee_id,
    )
    return bool(saved)


async def next_remake_number(conn: Connection, original: StoredOrder) -> str:
    count = await conn.fetchval(
        "SELECT count(*) FROM orders WHERE reopened_from = $1", original.order_id
    )
    return f"{original.number}-R{count + 1}"
