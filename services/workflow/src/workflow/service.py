"""Workflow's message handlers: load state, call the pure core, store what it decided.

Each handler runs inside the consumer's transaction (with the inbox claim), so the new state,
the timeline and the events to publish commit together or not at all.
"""

from __future__ import annotations

from shared import outbox
from shared.database import Connection
from shared.events import (
    BranchUpserted,
    NotificationStatus,
    OrderOpened,
    OrderStageChanged,
    StageRef,
)
from shared.logging import get_logger
from workflow.adapters import branches, flows, orders
from workflow.adapters.calendars import CalendarCache
from workflow.domain.orders import Decision, EmptyFlow, StageEntered, open_order

log = get_logger(__name__)


class WorkflowHandlers:
    def __init__(self, calendars: CalendarCache) -> None:
        self._calendars = calendars

    async def on_branch_upserted(self, conn: Connection, event: BranchUpserted) -> None:
        """Keep the workflow's copy of a branch (its state, city and time zone)."""
        await branches.upsert_branch(conn, event.chain_id, event.branch, event.occurred_at)

    async def on_notification_status(self, conn: Connection, event: NotificationStatus) -> None:
        """Show a customer message's status on the order's timeline."""
        if not await conn.fetchval(
            "SELECT 1 FROM orders WHERE order_id = $1 AND chain_id = $2",
            event.order_id,
            event.chain_id,
        ):
            raise LookupError(f"order {event.order_id} not known yet; redeliver later")
        label = _SMS_STATUS_LABELS[event.status]
        await orders.add_timeline(
            conn,
            chain_id=event.chain_id,
            order_id=event.order_id,
            occurred_at=event.occurred_at,
            actor="notificador",
            kind=f"sms_{event.status}",
            summary=label + (f": {event.reason}" if event.reason else ""),
            detail={
                "notification_id": str(event.notification_id),
                "entry_sequence": event.entry_sequence,
            },
        )

    async def on_order_opened(self, conn: Connection, event: OrderOpened) -> None:
        """Place a new order in the first stage of its service type's latest flow."""
        branch = await branches.ensure_branch(conn, event.chain_id, event.branch, event.occurred_at)
        flow = await flows.latest_flow(conn, event.chain_id, event.service_type)
        decision: Decision | None = None
        problem: str | None = None
        if flow is None:
            problem = f"tipo de OS desconhecido: {event.service_type!r}"
        else:
            calendar = self._calendars.for_branch(branch, event.opened_at)
            try:
                decision = open_order(flow, calendar, event.opened_at, event.promised_date)
            except EmptyFlow:
                problem = f"o tipo de OS {event.service_type!r} não tem etapas"
        entered = decision.events[0] if decision else None
        inserted = await orders.insert_order(
            conn,
            event,
            decision.state if decision else None,
            due_explanation=entered.deadline.describe() if entered else None,
            status_reason=problem,
            now=event.occurred_at,
        )
        if not inserted:
            return
        await orders.add_timeline(
            conn,
            chain_id=event.chain_id,
            order_id=event.order_id,
            occurred_at=event.opened_at,
            actor=event.opened_by or "balcão",
            kind="opened",
            summary=f"OS {event.order_number} aberta" + (f"; {problem}" if problem else ""),
        )
        if decision is None:
            log.warning("order_needs_attention", order_id=str(event.order_id), reason=problem)
            return
        for stage_entered in decision.events:
            await self._record_stage_entry(conn, event, stage_entered, decision)

    async def _record_stage_entry(
        self,
        conn: Connection,
        opened: OrderOpened,
        entered: StageEntered,
        decision: Decision,
    ) -> None:
        await orders.add_timeline(
            conn,
            chain_id=opened.chain_id,
            order_id=opened.order_id,
            occurred_at=entered.entered_at,
            actor="sistema",
            kind="stage_entered",
            summary=f"Entrou na etapa '{entered.to_stage.name}'. {entered.deadline.describe()}",
            detail={"stage": entered.to_stage.key, "due_at": entered.deadline.due_at.isoformat()},
        )
        await outbox.enqueue(
            conn,
            stage_changed_event(opened, entered, decision),
        )


_SMS_STATUS_LABELS = {
    "held": "SMS aguardando o horário de envio",
    "sent": "SMS enviado ao cliente",
    "delivered": "SMS entregue ao cliente",
    "failed": "SMS não enviado",
    "suppressed": "SMS não enviado (bloqueado)",
}


def stage_changed_event(
    opened: OrderOpened,
    entered: StageEntered,
    decision: Decision,
) -> OrderStageChanged:
    from_stage, from_position = entered.from_stage, entered.from_position
    return OrderStageChanged(
        occurred_at=entered.entered_at,
        correlation_id=opened.correlation_id,
        chain_id=opened.chain_id,
        order_id=opened.order_id,
        order_number=opened.order_number,
        branch_id=opened.branch.branch_id,
        from_stage=(
            StageRef(key=from_stage.key, name=from_stage.name, position=from_position)
            if from_stage and from_position is not None
            else None
        ),
        to_stage=StageRef(
            key=entered.to_stage.key, name=entered.to_stage.name, position=entered.to_position
        ),
        entry_sequence=entered.entry_sequence,
        entered_at=entered.entered_at,
        due_at=entered.deadline.due_at,
        projected_completion_at=entered.projected_completion_at,
        promised_date=decision.state.promised_date,
        sms_template=entered.to_stage.sms_template,
    )
