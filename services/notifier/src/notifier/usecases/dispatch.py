"""Dispatch a batch: claim due messages, decide, render and send each; record the outcome.

For each claimed message (the claim and its lease: ``MessageStore.claim_due``):

1. A message waits until its contact is known (order.opened may arrive after the stage change):
   the claim skips it.
2. ``notifier.domain.delivery.decide`` says send, hold until the window opens, suppress or fail
   (consent, opt-outs, stale news, sending hours); this module only carries it out.
3. The template is rendered (an invalid one: ``failed``, never a raw ``{placeholder}``), its
   accents transliterated when the chain asked for GSM-7 only, and cut to ``max_segments``
   before the link, never through it (``{link}`` is ``ETAPA_TRACKING_BASE_URL/a/<token>``;
   empty without either); the encoding and segment count are recorded. ``{etapa}`` is the
   stage's customer-facing name.
4. The provider for this round sends it (see ``send_round`` for the in-round retries and the
   fallback). A permanent refusal is ``failed`` at once; an ambiguous one (no answer) is tried
   again only where the provider drops repeated keys, else ``failed`` with a warning; any other
   error puts the message back to ``pending`` for a later round (``domain.retry``) until the
   last round, which is ``failed``.

Every status change is published as ``notification.status.v1`` in the same transaction.

A provider's accept is never dropped: when the ``sent`` write that follows it meets a database
outage, the receipt is kept and the write tried again until the database answers, and a message
of this process claimed again meanwhile is recorded from the kept receipt, not sent again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from etapa_contracts.sms_template import (
    SegmentCount,
    TemplateError,
    TemplateValues,
    compose_sms,
    count_segments,
    tracking_url,
)
from notifier.domain import delivery
from notifier.domain.retry import GiveUp, after_failed_round
from notifier.domain.window import SendingWindow, years_ahead
from notifier.usecases.ports import (
    AmbiguousSendError,
    OutgoingSms,
    PermanentSendError,
    SmsProvider,
    UnitOfWork,
)
from notifier.usecases.records import ClaimedMessage, FinalStatus, Outcome
from notifier.usecases.send_round import Providers, round_budget_seconds, send_in_round
from notifier.usecases.sms_counts import NO_PROVIDER, count_sms
from notifier.usecases.status_events import status_event
from shared.clock import Clock
from shared.logging import get_logger

log = get_logger(__name__)

DEFAULT_TIMEZONE = "America/Sao_Paulo"
SENT_WRITE_FIRST_PAUSE = 0.2
SENT_WRITE_MAX_PAUSE = 5.0
"""Pauses between tries of a ``sent`` write held through an outage: short, so the write lands
soon after the database is back, before another process can take the expired lease."""
ClosedDays = Callable[[str, Iterable[int]], frozenset[date]]
"""The closed days (holidays) of a state (UF) in the given years."""


@dataclass(frozen=True, slots=True)
class DispatchPolicy:
    max_attempts: int = 5
    send_tries: int = 3
    send_timeout: float = 10.0
    retry_base_delay: float = 30.0
    max_segments: int = 2
    respect_sending_hours: bool = True

    @property
    def lease_seconds(self) -> float:
        """A round's longest time with room to record the outcome; an expired lease is reclaimed."""
        return round_budget_seconds(self.send_tries, self.send_timeout) * 1.5 + 2.0


@dataclass(frozen=True, slots=True)
class Accepted:
    """A provider's accept not yet recorded: what the ``sent`` write needs."""

    provider: SmsProvider
    provider_message_id: str | None
    body: str
    encoding: str
    segments: int


class DispatchMessages:
    def __init__(
        self,
        uow: UnitOfWork,
        providers: Providers,
        clock: Clock,
        closed_days: ClosedDays,
        *,
        policy: DispatchPolicy,
        tracking_base_url: str | None,
        jitter: Callable[[], float],
        is_outage: Callable[[BaseException], bool],
    ) -> None:
        self.uow = uow
        self.providers = providers
        self._clock = clock
        self._closed_days = closed_days
        self.policy = policy
        self._tracking_base_url = tracking_base_url
        self._jitter = jitter
        self._is_outage = is_outage
        self._accepted: dict[str, Accepted] = {}
        """Provider accepts whose ``sent`` write has not landed yet, by send key."""

    async def claim(self, limit: int) -> list[ClaimedMessage]:
        """Claim up to ``limit`` due messages for this process."""
        now = self._clock()
        async with self.uow() as stores:
            return await stores.messages.claim_due(limit, now, self.policy.lease_seconds)

    async def deliver(self, message: ClaimedMessage) -> None:
        """Carry out the delivery decision for one claimed message."""
        kept = self._accepted.get(message.send_key)
        if kept is not None:
            # The provider took it before an earlier ``sent`` write failed: record, never resend.
            log.info("sms_accept_recorded_from_kept_receipt", order=message.order_number)
            await self._record_sent(message, kept)
            return
        now = self._clock()
        decision = self.decide(message, now)
        if isinstance(decision, delivery.Fail | delivery.Suppress):
            status: FinalStatus = "failed" if isinstance(decision, delivery.Fail) else "suppressed"
            await self._finish(message, Outcome(status, message.contact_phone, decision.reason))
            return
        if isinstance(decision, delivery.Hold):
            await self._hold(message, decision)
            return
        await self._send(message)

    def decide(self, message: ClaimedMessage, now: datetime) -> delivery.Decision:
        window = self._window(message) if self.policy.respect_sending_hours else None
        closed = (
            self._closed_days(message.state or "", years_ahead(now))
            if window is not None
            else frozenset()
        )
        return delivery.decide(
            now=now,
            was_held=message.send_after is not None,
            consent=delivery.Consent(
                contact_of_this_chain=message.contact_chain_id == message.key.chain_id,
                sms_consent=message.sms_consent,
                opted_out_by=message.opted_out_by,
            ),
            order=delivery.OrderState(
                entry_sequence=message.key.entry_sequence,
                latest_entry_sequence=message.latest_entry_sequence,
                closed=message.order_closed,
            ),
            window=window,
            closed_days=closed,
        )

    async def _send(self, message: ClaimedMessage) -> None:
        try:
            body = compose_sms(
                message.template,
                self._values(message),
                self.policy.max_segments,
                gsm7_only=message.transliterate,
            )
        except TemplateError as exc:
            reason = f"modelo inválido: {exc}"
            await self._finish(message, Outcome("failed", message.contact_phone, reason))
            return
        segments = count_segments(body)
        provider = self.providers.for_round(message.attempts)
        sms = OutgoingSms(idempotency_key=message.send_key, to=message.contact_phone, body=body)
        try:
            receipt = await send_in_round(
                provider, sms, self.policy.send_tries, self.policy.send_timeout
            )
        except PermanentSendError as exc:
            await self._finish(message, self._failed(message, str(exc), provider, body, segments))
            return
        except AmbiguousSendError as exc:
            if provider.supports_idempotency:
                await self._retry_later(message, exc, provider, body, segments)
            else:
                reason = (
                    f"{exc}; o SMS pode ter sido enviado: confira no provedor antes de reenviar"
                )
                await self._finish(message, self._failed(message, reason, provider, body, segments))
            return
        except Exception as exc:  # transient, or a provider bug: try again in a later round
            await self._retry_later(message, exc, provider, body, segments)
            return
        accepted = Accepted(
            provider, receipt.provider_message_id, body, segments.encoding, segments.segments
        )
        self._accepted[message.send_key] = accepted
        await self._record_sent(message, accepted)

    def _failed(
        self,
        message: ClaimedMessage,
        reason: str,
        provider: SmsProvider,
        body: str,
        segments: SegmentCount,
    ) -> Outcome:
        return Outcome(
            "failed",
            message.contact_phone,
            reason,
            body=body,
            provider=provider.name,
            encoding=segments.encoding,
            segments=segments.segments,
        )

    async def _record_sent(self, message: ClaimedMessage, accepted: Accepted) -> None:
        """Write ``sent`` for a provider's accept, through any database outage.

        The receipt stays in ``_accepted`` until the write lands (or finds the message already
        finished), so neither this task nor a later claim of this process sends it again. A
        non-outage error leaves it there too: the lease runs out, the message is claimed again
        and recorded from the kept receipt.
        """
        outcome = Outcome(
            "sent",
            message.contact_phone,
            body=accepted.body,
            provider=accepted.provider.name,
            provider_message_id=accepted.provider_message_id,
            encoding=accepted.encoding,
            segments=accepted.segments,
        )
        pause = SENT_WRITE_FIRST_PAUSE
        tries = 0
        while True:
            try:
                await self._finish(message, outcome, accepted=True)
            except Exception as exc:
                if not self._is_outage(exc):
                    raise
                tries += 1
                log.warning(
                    "sms_sent_write_held_database_unavailable",
                    order=message.order_number,
                    tries=tries,
                    retry_in=pause,
                    error=f"{type(exc).__name__}: {exc}",
                )
                await asyncio.sleep(pause)
                pause = min(SENT_WRITE_MAX_PAUSE, pause * 2)
            else:
                self._accepted.pop(message.send_key, None)
                return

    def _window(self, message: ClaimedMessage) -> SendingWindow:
        timezone = message.timezone or DEFAULT_TIMEZONE
        if message.window is None:
            return SendingWindow(timezone=timezone)
        return SendingWindow(
            timezone=timezone,
            starts_at=message.window.starts_at,
            ends_at=message.window.ends_at,
            weekdays=message.window.weekdays,
        )

    def _values(self, message: ClaimedMessage) -> TemplateValues:
        return TemplateValues(
            customer_name=message.customer_name,
            order_number=message.order_number,
            stage_name=message.customer_stage_name or message.stage_name,
            promised_date=message.promised_date,
            forecast_date=message.forecast_date,
            branch_name=message.branch_name,
            branch_phone=message.branch_phone,
            tracking_link=tracking_url(self._tracking_base_url, message.tracking_token),
        )

    async def _hold(self, message: ClaimedMessage, hold: delivery.Hold) -> None:
        now = self._clock()
        async with self.uow() as stores:
            held = await stores.messages.hold(message, hold.until, hold.reason, now)
            first_hold = held and message.previous_status != "held"
            if first_hold:
                await stores.outbox.enqueue(status_event(message.key, "held", hold.reason, now))
        if first_hold:
            count_sms("held", NO_PROVIDER)
        log.info("sms_held", order=message.order_number, send_after=hold.until.isoformat())

    async def _retry_later(
        self,
        message: ClaimedMessage,
        exc: Exception,
        provider: SmsProvider,
        body: str,
        segments: SegmentCount,
    ) -> None:
        next_round = after_failed_round(
            message.attempts,
            self.policy.max_attempts,
            self.policy.retry_base_delay,
            self._jitter(),
            str(exc),
        )
        if isinstance(next_round, GiveUp):
            outcome = self._failed(message, next_round.reason, provider, body, segments)
            await self._finish(message, outcome)
            return
        log.warning("sms_round_failed_will_retry", attempts=message.attempts, error=str(exc))
        now = self._clock()
        async with self.uow() as stores:
            await stores.messages.retry_later(
                message,
                provider.name,
                f"rodada {message.attempts} falhou ({provider.name}): {exc}",
                now,
                now + timedelta(seconds=next_round.seconds),
            )
        count_sms("retried", provider.name)

    async def _finish(
        self, message: ClaimedMessage, outcome: Outcome, *, accepted: bool = False
    ) -> None:
        """Write the message's outcome if this claim still holds its lease.

        ``accepted``: the provider took the message, which is a fact whoever holds the lease now,
        so the write lands on any unfinished message (the lease ran out during an outage and the
        message was claimed again, or put back to ``pending``).
        """
        now = self._clock()
        status = outcome.status
        async with self.uow() as stores:
            if not await stores.messages.finish(message, outcome, now, accepted=accepted):
                log.warning("sms_lease_lost", order=message.order_number, status=status)
                return
            await stores.outbox.enqueue(status_event(message.key, status, outcome.reason, now))
        count_sms(status, outcome.provider or NO_PROVIDER)
        log.info("sms_status", status=status, reason=outcome.reason, order=message.order_number)
