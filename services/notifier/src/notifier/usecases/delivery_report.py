"""A provider's delivery report: a ``sent`` message of that provider becomes ``delivered`` or
``failed`` (published); a report for a message in any other status changes nothing; an
intermediate one (queued, sent…) is ``unchanged``.

A final report for a message the notifier has not yet recorded as ``sent`` — the provider
answered our request, and its report overtook our write of the answer (a busy database, a
write retried through an outage) — is **kept**, not dropped: the early-reports loop applies it
once the message is ``sent`` (``apply_early_reports``). A kept report whose message never
becomes ``sent`` is dropped after ``KEEP_EARLY_REPORTS``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from notifier.domain.callbacks import Outcome, StatusReport
from notifier.usecases.ports import Stores, UnitOfWork
from notifier.usecases.records import EarlyReport
from notifier.usecases.sms_counts import count_sms
from notifier.usecases.status_events import status_event
from shared.logging import get_logger

log = get_logger(__name__)

ReportResult = Literal["applied", "unchanged", "kept"]
KEEP_EARLY_REPORTS = timedelta(days=2)
EARLY_REPORTS_PER_ROUND = 100


async def apply_report(
    uow: UnitOfWork, provider: str, report: StatusReport, now: datetime
) -> ReportResult:
    if report.outcome is None:
        return "unchanged"
    result: ReportResult = "applied"
    async with uow() as stores:
        applied = await _apply(
            stores, provider, report.provider_message_id, report.outcome, report.reason, now
        )
        if not applied and await stores.messages.knows(provider, report.provider_message_id):
            result = "unchanged"
        elif not applied:
            early = EarlyReport(
                provider, report.provider_message_id, report.outcome, report.reason, now
            )
            await stores.messages.keep_early_report(early, now - KEEP_EARLY_REPORTS)
            result = "kept"
    if result == "applied":
        _count(provider, report.outcome)
    elif result == "kept":
        log.info("delivery_report_kept_until_sent", provider=provider, outcome=report.outcome)
    return result


async def apply_early_reports(uow: UnitOfWork, now: datetime) -> bool:
    """Apply the kept reports whose message is now ``sent``, each with its status event in one
    transaction; True when a full round was found (more may be due at once)."""
    async with uow.each_statement() as stores:
        due = await stores.messages.early_reports_due(EARLY_REPORTS_PER_ROUND)
    for report in due:
        async with uow() as stores:
            taken = await stores.messages.take_early_report(report)
            applied = taken and await _apply(
                stores,
                report.provider,
                report.provider_message_id,
                report.outcome,
                report.reason,
                now,
            )
        if not applied:
            continue  # another process took it, or the message has moved on since
        _count(report.provider, report.outcome)
        log.info(
            "early_delivery_report_applied",
            provider=report.provider,
            outcome=report.outcome,
            received_at=report.received_at.isoformat(),
        )
    return len(due) >= EARLY_REPORTS_PER_ROUND


async def _apply(
    stores: Stores,
    provider: str,
    provider_message_id: str,
    outcome: Outcome,
    reason: str | None,
    now: datetime,
) -> bool:
    key = await stores.messages.apply_report(provider, provider_message_id, outcome, reason, now)
    if key is None:
        return False
    await stores.outbox.enqueue(
        status_event(key, outcome, reason if outcome == "failed" else None, now)
    )
    return True


def _count(provider: str, outcome: Outcome) -> None:
    count_sms("delivered" if outcome == "delivered" else "undelivered", provider)
