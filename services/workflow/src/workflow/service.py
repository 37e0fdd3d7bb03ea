"""Workflow's message handlers: turn each event into an engine call, record what is refused.

Each handler runs inside the consumer's transaction (with the inbox claim). An action or lab
status that the order does not accept is never an error: its reason goes on the timeline and
the message is acknowledged. An event for an order not known yet (order.opened still on its
way) raises, so the message is redelivered later.
"""

from __future__ import annotations

from shared.database import Connection
from shared.events import (
    BranchUpserted,
    LabStatus,
    NotificationStatus,
    OrderAction,
    OrderOpened,
)
from shared.logging import get_logger
from workflow.adapters import branches, order_history, order_store, orders
from workflow.adapters.orders import NewOrder
from workflow.domain.order_actions import (
    AddNote,
    Advance,
    ApplyLabStatus,
    Assign,
    Back,
    Cancel,
    Command,
    Deliver,
    Pause,
    Reopen,
    Resume,
)
from workflow.domain.order_machine import VERBS
from workflow.engine import OrderEngine

log = get_logger(__name__)


class WorkflowHandlers:
    def __init__(self, engine: OrderEngine) -> None:
        self._engine = engine

    async def on_branch_upserted(self, conn: Connection, event: BranchUpserted) -> None:
        """Keep the workflow's copy of a branch (its state, city and time zone)."""
        await branches.upsert_branch(conn, event.chain_id, event.branch, event.occurred_at)

    async def on_order_opened(self, conn: Connection, event: OrderOpened) -> None:
        """Place a new order in the first stage of its service type's latest flow."""
        branch = await branches.ensure_branch(conn, event.chain_id, event.branch, event.occurred_at)
        new = NewOrder(
            order_id=event.order_id,
            chain_id=event.chain_id,
            branch_id=event.branch.branch_id,
            number=event.order_number,
            service_type=event.service_type,
            customer_name=event.customer.name,
            lab_code=event.lab_code,
            promised_date=event.promised_date,
            opened_at=event.opened_at,
            customer_phone=event.customer.phone,
        )
        await self._engine.open(
            conn,
            new,
            branch,
            actor=event.opened_by or "balcão",
            summary=f"OS {event.order_number} aberta",
            correlation_id=event.correlation_id,
        )

    async def on_order_action(self, conn: Connection, event: OrderAction) -> None:
        """A staff action: advance, back, pause, resume, assign, note, cancel, deliver, reopen."""
        command = command_from_action(event)
        outcome = await self._engine.apply(
            conn,
            event.chain_id,
            event.order_id,
            command,
            when=event.requested_at,
            correlation_id=event.correlation_id,
        )
        if outcome.refused is None:
            return
        log.info("order_action_refused", order_id=str(event.order_id), action=event.action)
        await orders.add_timeline(
            conn,
            chain_id=event.chain_id,
            order_id=event.order_id,
            occurred_at=event.requested_at,
            actor=event.actor,
            kind="action_refused",
            summary=f"Ação “{VERBS[type(command)]}” recusada: {outcome.refused}",
            detail={"action": event.action, "reason": outcome.refused},
        )

    async def on_lab_status(self, conn: Connection, event: LabStatus) -> None:
        """A lab's status: moves the order as its flow maps it, updates the lab forecast."""
        order = await order_store.load(conn, event.chain_id, event.order_id)
        if order is None:
            raise LookupError(f"order {event.order_id} not known yet; redeliver later")
        refused: str | None
        if order.lab_code is not None and order.lab_code != event.lab_code:
            refused = (
                f"O laboratório {event.lab_code} não atende esta OS "
                f"(laboratório {order.lab_code}); ignorado."
            )
        else:
            # A lab's clock (or typo) can put a status in the future; it counts from receipt.
            reported_at = min(event.reported_at, event.occurred_at)
            command = ApplyLabStatus(event.status, event.eta, reported_at)
            outcome = await self._engine.apply(
                conn,
                event.chain_id,
                event.order_id,
                command,
                when=reported_at,
                correlation_id=event.correlation_id,
            )
            refused = outcome.refused
        await order_history.add_lab_update(
            conn,
            chain_id=event.chain_id,
            order_id=event.order_id,
            lab_code=event.lab_code,
            status=event.status,
            eta=event.eta,
            reported_at=event.reported_at,
            received_at=event.occurred_at,
            applied=refused is None,
            note=refused,
        )
        if refused is not None:
            log.info("lab_status_ignored", order_id=str(event.order_id), status=event.status)
            await orders.add_timeline(
                conn,
                chain_id=event.chain_id,
                order_id=event.order_id,
                occurred_at=event.occurred_at,
                actor=f"laboratório {event.lab_code}",
                kind="lab_status_ignored",
                summary=refused,
                detail={"status": event.status, "reported_at": event.reported_at.isoformat()},
            )

    async def on_notification_status(self, conn: Connection, event: NotificationStatus) -> None:
        """Keep the customer message's status and show it on the order's timeline."""
        if not await conn.fetchval(
            "SELECT 1 FROM orders WHERE order_id = $1 AND chain_id = $2",
            event.order_id,
            event.chain_id,
        ):
            raise LookupError(f"order {event.order_id} not known yet; redeliver later")
        await order_history.upsert_message(
            conn,
            chain_id=event.chain_id,
            order_id=event.order_id,
            notification_id=event.notification_id,
            entry_sequence=event.entry_sequence,
            status=event.status,
            reason=event.reason,
            at=event.occurred_at,
        )
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


_SMS_STATUS_LABELS = {
    "held": "SMS aguardando o horário de envio",
    "sent": "SMS enviado ao cliente",
    "delivered": "SMS entregue ao cliente",
    "failed": "SMS não enviado",
    "suppressed": "SMS não enviado (bloqueado)",
}


def command_from_action(action: OrderAction) -> Command:
    """The machine's command for a staff action; a missing text is blank, which it refuses."""
    actor, reason = action.actor, action.reason or ""
    match action.action:
        case "advance":
            return Advance(actor, action.target_stage)
        case "back":
            return Back(actor, reason)
        case "pause":
            return Pause(actor, reason)
        case "resume":
            return Resume(actor)
        case "assign":
            return Assign(actor, action.assignee or "")
        case "note":
            return AddNote(actor, action.note or reason)
        case "cancel":
            return Cancel(actor, reason)
        case "deliver":
            return Deliver(actor)
        case "reopen":
            return Reopen(actor, reason, action.reopen_kind or "remake")
