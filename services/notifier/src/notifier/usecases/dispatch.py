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
   fallback). A permanent refusal is ``failed`` at once; an ambiguous one (no answer) is looked
   up at the provider where it allows it (found: ``sent`` from the lookup's receipt), else tried
   again only where the provider drops repeated keys, else ``failed`` with a warning; any other
   error puts the message back to ``pending`` for a later round (``domain.retry``) until the
   last round, which is ``failed``.

Every status change is published as ``notification.status.v1`` in the same transaction.

A provider's accept is never dropped (issue 16, item 6): the receipt is kept in the process and
the ``sent`` write is tried again in place — through a database outage (away, busy, out of
connections) for as long as it lasts, and up to ``SENT_WRITE_MAX_FAILURES`` times for any other
error — renewing the claim's lease before each pause, so that no other process claims the
message and sends it again while this one still holds the receipt (``_record_sent``; the pure
rule in ``domain.delivery.after_sent_write_failed``). A message of this process claimed again
meanwhile is recorded from the kept receipt, not sent again.

A message found ``sending`` whose lease ran out (the process that claimed it died, or lost its
database longer than the lease) is looked up at the provider of that attempt first, where the
provider allows it (``SmsProvider.supports_lookup``): found, it is recorded ``sent`` with no
request; not found, it is sent as usual; the provider could not tell, nothing is sent and the
next claim asks again, up to ``max_attempts`` claims, then ``failed`` for a person to check
(``_reconcile``; the rule in ``domain.delivery.after_lost_claim``). A provider without a lookup
keeps the behaviour before: the message is sent again with the same key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
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
    LookupResult,
    OutgoingSms,
    PermanentSendError,
    SentQuery,
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
        async with self.uow.each_statement() as stores:  # the claim is one statement
            return await stores.messages.claim_due(limit, now, self.policy.lease_seconds)

    async def deliver(self, message: ClaimedMessage) -> None:
        """Carry out the delivery decision for one claimed message."""
        kept = self._accepted.get(message.send_key)
        if kept is not None:
            # The provider took it before an earlier ``sent`` write failed: record, never resend.
            log.info("sms_accept_recorded_from_kept_receipt", order=message.order_number)
            await self._record_sent(message, kept)
            return
        if message.lost_claim_at is not None and await self._reconcile(message):
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
                later_stage_sent=message.later_stage_sent,
            ),
            window=window,
            closed_days=closed,
        )

    async def _reconcile(self, message: ClaimedMessage) -> bool:
        """Ask the provider of the lost attempt whether it took the message; True when that
        settled it (recorded ``sent``, left for a later look, or ``failed``), False to go on
        and send as usual."""
        assert message.lost_claim_at is not None
        provider = self.providers.for_round(max(1, message.attempts - 1))
        if not provider.supports_lookup:
            log.info("sms_lost_claim_no_lookup", order=message.order_number, provider=provider.name)
            return False
        try:
            body = self._compose(message)
        except TemplateError:
            return False  # never sent: ``_send`` fails it
        query = SentQuery(message.send_key, message.contact_phone, body, message.lost_claim_at)
        try:
            async with asyncio.timeout(self.policy.send_timeout):
                result = await provider.lookup(query)
        except Exception as exc:  # a lookup that fails is an answer: it could not tell
            result = LookupResult("unknown", detail=f"{type(exc).__name__}: {exc}")
        step = delivery.after_lost_claim(
            result.found,
            result.provider_message_id,
            attempts=message.attempts,
            max_attempts=self.policy.max_attempts,
        )
        if isinstance(step, delivery.CarryOn):
            log.info("sms_lost_claim_not_at_provider", order=message.order_number)
            return False
        if isinstance(step, delivery.RecordAccepted):
            log.info("sms_lost_claim_found_at_provider", order=message.order_number)
            segments = count_segments(body)
            accepted = Accepted(
                provider, step.provider_message_id, body, segments.encoding, segments.segments
            )
            self._accepted[message.send_key] = accepted
            await self._record_sent(message, accepted)
            return True
        if isinstance(step, delivery.LookAgainLater):
            log.warning(
                "sms_lost_claim_unknown_at_provider",
                order=message.order_number,
                attempts=message.attempts,
                detail=result.detail,
            )
            return True  # nothing written: the lease runs out and the next claim asks again
        outcome = Outcome(
            "failed", message.contact_phone, step.reason, body=body, provider=provider.name
        )
        await self._finish(message, outcome)
        return True

    def _compose(self, message: ClaimedMessage) -> str:
        return compose_sms(
            message.template,
            self._values(message),
            self.policy.max_segments,
            gsm7_only=message.transliterate,
        )

    async def _send(self, message: ClaimedMessage) -> None:
        try:
            body = self._compose(message)
        except TemplateError as exc:
            reason = f"modelo inválido: {exc}"
            await self._finish(message, Outcome("failed", message.contact_phone, reason))
            return
        segments = count_segments(body)
        provider = self.providers.for_round(message.attempts)
        sms = OutgoingSms(idempotency_key=message.send_key, to=message.contact_phone, body=body)
        try:
            receipt = await send_in_round(
                provider,
                sms,
                self.policy.send_tries,
                self.policy.send_timeout,
                since=self._clock(),
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
        """Write ``sent`` for a provider's accept, until it lands.

        The receipt stays in ``_accepted`` until the write lands (or finds the message already
        finished), so neither this task nor a later claim of this process sends it again.
        Between tries the claim's lease is renewed (when the database answers), so that another
        process does not claim the message while this one holds its receipt; how long to go on
        is ``domain.delivery.after_sent_write_failed``'s. Past that (a non-outage error, again
        and again), the error is raised with the receipt still kept: the lease runs out and
        this process's next claim records it.
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
        tries = failures = 0
        while True:
            try:
                await self._finish(message, outcome, accepted=True)
            except Exception as exc:
                outage = self._is_outage(exc)
                tries += 1
                failures += 0 if outage else 1
                step = delivery.after_sent_write_failed(
                    outage=outage, tries=tries, failures=failures
                )
                error = f"{type(exc).__name__}: {exc}"
                if isinstance(step, delivery.LeaveReceipt):
                    log.warning(
                        "sms_sent_write_left_to_next_claim",
                        order=message.order_number,
                        reason=step.reason,
                        error=error,
                    )
                    raise
                log.warning(
                    "sms_sent_write_failed_retrying",
                    order=message.order_number,
                    outage=outage,
                    tries=tries,
                    retry_in=step.pause,
                    error=error,
                )
                message = await self._renew_lease(message)
                await asyncio.sleep(step.pause)
            else:
                self._accepted.pop(message.send_key, None)
                return

    async def _renew_lease(self, message: ClaimedMessage) -> ClaimedMessage:
        """The claim with its lease pushed a full lease from now, if it still holds it and the
        database answers; else the claim as it was (the ``sent`` write lands on any unfinished
        message, whoever holds the lease)."""
        now = self._clock()
        try:
            async with self.uow() as stores:
                renewed = await stores.messages.renew_lease(message, now, self.policy.lease_seconds)
        except Exception as exc:  # the database is still away or busy: the write's next try
            log.warning("sms_lease_not_renewed", error=f"{type(exc).__name__}: {exc}")
            return message
        if renewed is None:
            log.warning("sms_lease_lost_while_recording", order=message.order_number)
            return message
        return replace(message, locked_until=renewed)

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
        log.info(
            "sms_held",
            order_id=str(message.key.order_id),
            order_number=message.order_number,
            send_after=hold.until.isoformat(),
            reason=hold.reason,
        )

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
        event = status_event(message.key, status, outcome.reason, now)
        async with self.uow.each_statement() as stores:  # the outcome and its event: one
            finished = await stores.messages.finish(
                message, outcome, now, accepted=accepted, event=event
            )
        if not finished:
            log.warning("sms_lease_lost", order=message.order_number, status=status)
            return
        count_sms(status, outcome.provider or NO_PROVIDER)
        log.info(
            f"sms_{status}",  # sms_sent, sms_failed, sms_suppressed
            order_id=str(message.key.order_id),
            order_number=message.order_number,
            provider=outcome.provider,
            reason=outcome.reason,
        )
