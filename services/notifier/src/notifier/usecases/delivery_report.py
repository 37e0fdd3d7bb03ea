"""A provider's delivery report: a ``sent`` message of that provider becomes ``delivered`` or
``failed`` (published); a report for a message in any other status, or unknown, changes
nothing; an intermediate one (queued, sent…) is ``unchanged``."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from notifier.domain.callbacks import StatusReport
from notifier.usecases.ports import UnitOfWork
from notifier.usecases.sms_counts import count_sms
from notifier.usecases.status_events import status_event
from shared.logging import get_logger

log = get_logger(__name__)

ReportResult = Literal["applied", "unchanged", "unknown"]


async def apply_report(
    uow: UnitOfWork, provider: str, report: StatusReport, now: datetime
) -> ReportResult:
    if report.outcome is None:
        return "unchanged"
    async with uow() as stores:
        key = await stores.messages.apply_report(
            provider, report.provider_message_id, report.outcome, report.reason, now
        )
        if key is None:
            known = await stores.messages.knows(provider, report.provider_message_id)
            if not known:
                log.warning("delivery_report_for_unknown_message", provider=provider)
            return "unchanged" if known else "unknown"
        reason = report.reason if report.outcome == "failed" else None
        await stores.outbox.enqueue(status_event(key, report.outcome, reason, now))
    count_sms("delivered" if report.outcome == "delivered" else "undelivered", provider)
    return "applied"
