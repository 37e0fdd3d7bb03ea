"""SMS statuses counted for the operator (``etapa_sms_messages_total``), once each is stored."""

from __future__ import annotations

from shared.metrics import NO_PROVIDER, SMS_MESSAGES

__all__ = ["NO_PROVIDER", "count_sms"]


def count_sms(status: str, provider: str) -> None:
    SMS_MESSAGES.labels(service="notifier", status=status, provider=provider).inc()
