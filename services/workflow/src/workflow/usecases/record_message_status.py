"""Record a customer message's status from the notifier on the order (and its timeline).

The newest status of each message is kept (an older report never overwrites a newer one);
every report is a timeline entry. A status for an order this service does not know yet (its
opening still in a queue) raises, so the message is redelivered later.
"""

from __future__ import annotations

from etapa_contracts.events import NotificationStatus
from workflow.domain.records import MessageStatus, TimelineEntry
from workflow.usecases.ports import Stores

_SMS_STATUS_LABELS = {
    "held": "SMS aguardando o horário de envio",
    "sent": "SMS enviado ao cliente",
    "delivered": "SMS entregue ao cliente",
    "failed": "SMS não enviado",
    "suppressed": "SMS não enviado (bloqueado)",
}


async def record_message_status(stores: Stores, event: NotificationStatus) -> None:
    """Keep the customer message's status and show it on the order's timeline (one write)."""
    label = _SMS_STATUS_LABELS[event.status]
    known = await stores.orders.record_message(
        MessageStatus(
            chain_id=event.chain_id,
            order_id=event.order_id,
            notification_id=event.notification_id,
            entry_sequence=event.entry_sequence,
            status=event.status,
            reason=event.reason,
            updated_at=event.occurred_at,
        ),
        TimelineEntry(
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
        ),
    )
    if not known:
        raise LookupError(f"order {event.order_id} not known yet; redeliver later")
