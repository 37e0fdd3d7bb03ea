"""``notification.status.v1`` for a message's new status (published through the outbox)."""

from __future__ import annotations

from datetime import datetime

from etapa_contracts.events import NotificationState, NotificationStatus
from notifier.usecases.records import MessageKey


def status_event(
    key: MessageKey, status: NotificationState, reason: str | None, now: datetime
) -> NotificationStatus:
    return NotificationStatus(
        occurred_at=now,
        correlation_id=f"sms-{key.notification_id}",
        chain_id=key.chain_id,
        branch_id=key.branch_id,
        order_id=key.order_id,
        notification_id=key.notification_id,
        entry_sequence=key.entry_sequence,
        status=status,
        reason=reason,
    )
