"""New orders and timeline entries in PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from shared.database import Connection
from workflow.domain.order_state import OrderState


@dataclass(frozen=True, slots=True)
class NewOrder:
    order_id: UUID
    chain_id: UUID
    branch_id: UUID
    number: str
    service_type: str
    customer_name: str
    lab_code: str | None
    promised_date: date | None
    opened_at: datetime
    reopened_from: UUID | None = None
    reopen_kind: str | None = None
    customer_phone: str | None = None
    """E.164; kept as national digits for search. A remake takes its original's."""
    confirm_before_proposal: bool = False
    """The counter confirmed a promised date earlier than the proposal on purpose."""


async def insert_order(
    conn: Connection,
    order: NewOrder,
    state: OrderState | None,
    *,
    tracking_token: str,
    due_explanation: str | None,
    status_reason: str | None,
    now: datetime,
    projection_reason: str | None = None,
) -> bool:
    """Insert the order; False when it exists already (a replayed order.opened)."""
    inserted = await conn.fetchval(
        """
        INSERT INTO orders (order_id, chain_id, branch_id, number, service_type, flow_version,
            customer_name, lab_code, status, status_reason, stage_position, entry_sequence,
            stage_entered_at, stage_due_at, stage_due_explanation, projected_completion_at,
            promised_date, promised_date_proposed, opened_at, updated_at, stage_planned_due_at,
            paused_at, reopened_from, reopen_kind, customer_phone_digits,
            projected_completion_reason, proposed_date, promised_before_proposal, tracking_token,
            assignee, assignee_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                $18, $19, $20, $21, $22, $23, $24,
                COALESCE($25, (SELECT customer_phone_digits FROM orders WHERE order_id = $23)),
                $26, $27, $28, $29, $30, $31::uuid)
        ON CONFLICT (order_id) DO NOTHING RETURNING true
        """,
        order.order_id,
        order.chain_id,
        order.branch_id,
        order.number,
        order.service_type,
        state.flow_version if state else None,
        order.customer_name,
        order.lab_code,
        state.status.value if state else "needs_attention",
        status_reason,
        state.stage_position if state else None,
        state.entry_sequence if state else 0,
        state.stage_entered_at if state else None,
        state.stage_due_at if state else None,
        due_explanation,
        state.projected_completion_at if state else None,
        state.promised_date if state else order.promised_date,
        state.promised_date_proposed if state else False,
        order.opened_at,
        now,
        state.stage_planned_due_at if state else None,
        state.paused_at if state else None,
        order.reopened_from,
        order.reopen_kind,
        national_digits(order.customer_phone),
        projection_reason,
        state.proposed_date if state else None,
        state.promised_before_proposal if state else False,
        tracking_token,
        state.assignee if state else None,
        state.assignee_id if state else None,
    )
    return bool(inserted)


def national_digits(phone: str | None) -> str | None:
    """``+5511987654321`` → ``11987654321``: what people type, whatever the punctuation."""
    if not phone:
        return None
    digits = "".join(c for c in phone if c.isdigit())
    return digits[2:] if phone.startswith("+55") else digits


async def add_timeline(
    conn: Connection,
    *,
    chain_id: UUID,
    order_id: UUID,
    occurred_at: datetime,
    actor: str,
    kind: str,
    summary: str,
    detail: dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        """
        INSERT INTO timeline (chain_id, order_id, occurred_at, actor, kind, summary, detail)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        """,
        chain_id,
        order_id,
        occurred_at,
        actor,
        kind,
        summary,
        detail or {},
    )
