"""The dispatcher: claims recorded messages, checks them, renders them and sends them.

Rules, in the order they are checked for each claimed message:

1. Claiming marks a message ``sending`` with a lease, under ``FOR UPDATE SKIP LOCKED``, so
   several notifier processes share the work and never claim the same message. The lease
   (``locked_until``) is also the claim's token: a process whose lease ran out (another one
   claimed the message since) writes nothing. A process that dies mid-send leaves a lease
   that expires; the message is then claimed again with the same idempotency key.
2. A message waits until its contact is known (order.opened may arrive after the stage change).
3. Contact of another chain: ``failed``. No consent, or the number opted out — by the
   customer's reply (everywhere) or by this chain's staff (not another chain's): ``suppressed``.
4. A message that was ``held`` is dropped (``suppressed``) at its window's opening when the
   order closed or entered a later stage meanwhile: the news is no longer true.
5. Outside the branch's sending window the message is ``held`` until the next opening (a
   status published once, kept in PostgreSQL, so it survives restarts).
6. The template is rendered (an invalid one: ``failed``, never a raw ``{placeholder}``), its
   accents transliterated when the chain asked for GSM-7 only (``chain_sms_settings``), and cut
   to ``max_segments`` before the link, never through it (``{link}`` is
   ``ETAPA_TRACKING_BASE_URL/a/<token>`` from the stage change; empty without either); the
   encoding and segment count are recorded. ``{etapa}`` is the stage's customer-facing name.
7. The provider for this round sends it (see ``notifier.sending`` for the retries and the
   fallback). A permanent refusal is ``failed`` at once; the last failed round is ``failed``.

Every status change is published as ``notification.status.v1`` in the same transaction.

A message is sent right after the consumer commits it: the consumer sets ``wake`` and ``run``
claims at once; between wakes it looks every ``interval`` for retries, held messages and
messages another process's consumer recorded.

Sends are independent (``run``): up to ``batch_size`` messages are in flight, each in its own
task with its own deadline per provider request, and a new claim takes as many messages as
there are free slots as soon as one frees, so one hanging request holds one slot, not a batch.

A provider's accept is never dropped: when the ``sent`` write that follows it meets a database
outage, the dispatcher keeps the receipt and tries the write again until the database answers
(``_record_sent``), and a message of this process that is claimed again meanwhile is recorded
from the kept receipt, not sent again. A write that fails for another reason is tried again in
place too, with the lease renewed between tries, so another process does not take the message
and send it a second time.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg

from notifier.providers import AmbiguousSendError, OutgoingSms, PermanentSendError, SmsProvider
from notifier.sending import Providers, round_budget_seconds, send_in_round
from notifier.window import NoSendingDay, SendingWindow, next_opening, years_ahead
from shared import outbox
from shared.clock import Clock
from shared.database import DATABASE_OUTAGE
from shared.events import NotificationState, NotificationStatus
from shared.logging import correlation_scope, get_logger
from shared.sms_template import (
    TemplateError,
    TemplateValues,
    compose_sms,
    count_segments,
    tracking_url,
)

log = get_logger(__name__)

DEFAULT_TIMEZONE = "America/Sao_Paulo"
MAX_RETRY_DELAY = 3600.0
SENT_WRITE_FIRST_PAUSE = 0.2
SENT_WRITE_MAX_PAUSE = 5.0
"""Pauses between tries of a ``sent`` write held through an outage: short, so the write lands
soon after the database is back, before another process can take the expired lease."""
SENT_WRITE_MAX_FAILURES = 5
"""Tries of a ``sent`` write failing for another reason than an outage, before the receipt is
left for this process's next claim of the message."""
ClosedDays = Callable[[str, Iterable[int]], frozenset[date]]
_jitter = random.Random()  # noqa: S311 - spreading retries, not security


@dataclass(frozen=True, slots=True)
class Accepted:
    """A provider's accept not yet recorded: what the ``sent`` write needs."""

    provider: SmsProvider
    provider_message_id: str | None
    body: str
    encoding: str
    segments: int


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


class Dispatcher:
    def __init__(
        self,
        pool: asyncpg.Pool,
        providers: Providers,
        clock: Clock,
        closed_days: ClosedDays,
        *,
        policy: DispatchPolicy,
        tracking_base_url: str | None,
        interval: float,
        batch_size: int = 20,
        wake: asyncio.Event | None = None,
    ) -> None:
        self._pool = pool
        self._wake = wake or asyncio.Event()
        """Set when the consumer has committed a message to send: ``run`` claims at once."""
        self._providers = providers
        self._clock = clock
        self._closed_days = closed_days
        self._policy = policy
        self._tracking_base_url = tracking_base_url
        self._interval = interval
        self._batch_size = batch_size
        self._accepted: dict[str, Accepted] = {}
        """Provider accepts whose ``sent`` write has not landed yet, by idempotency key."""

    async def run(self) -> None:
        """Keep up to ``batch_size`` sends in flight; claim for free slots as soon as one frees."""
        sending: set[asyncio.Task[None]] = set()
        try:
            while True:
                sending = {task for task in sending if not task.done()}
                free = self._batch_size - len(sending)
                if free > 0:
                    claimed = await self._claim_for_run(free)
                    for message in claimed:
                        sending.add(asyncio.create_task(self._handle(message)))
                    if len(claimed) < free:  # nothing more is due now
                        await self._nap()
                    continue
                # Every slot is taken: wait for one to free, however long the others take.
                await asyncio.wait(sending, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in sending:
                task.cancel()  # an interrupted send keeps its lease; it runs out and is claimed
            await asyncio.gather(*sending, return_exceptions=True)
            await self._providers.aclose()

    async def _nap(self) -> None:
        """Until the consumer commits a message (push) or ``interval`` passes (retries, held
        messages, another process's consumer)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self._interval)
        self._wake.clear()

    async def _claim_for_run(self, limit: int) -> list[dict[str, Any]]:
        try:
            return await self._claim(limit)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("dispatcher_database_unavailable", error=str(exc))
        except Exception:
            # A bug must not end the dispatcher for good: log it, and go on.
            log.exception("dispatcher_round_failed")
        return []

    async def dispatch_once(self) -> int:
        """Claim one batch of due messages, handle them concurrently and wait for all of them;
        return how many (for tests and tools: ``run`` does not wait for a batch)."""
        claimed = await self._claim(self._batch_size)
        await asyncio.gather(*(self._handle(message) for message in claimed))
        return len(claimed)

    async def _handle(self, message: dict[str, Any]) -> None:
        with correlation_scope(f"sms-{message['notification_id']}"):
            try:
                await self._deliver(message)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                # The lease runs out and the message is claimed again with the same key.
                log.warning("sms_dispatch_interrupted", error=str(exc))
            except Exception:
                # One message's unexpected error stays with it (its lease runs out and it is
                # claimed again); it never cancels the batch's other sends or the dispatcher.
                log.exception(
                    "sms_dispatch_failed", notification_id=str(message["notification_id"])
                )

    async def _claim(self, limit: int) -> list[dict[str, Any]]:
        now = self._clock()
        async with self._pool.acquire() as conn, conn.transaction():
            claimed = await conn.fetch(
                """
                WITH due AS (
                    SELECT m.notification_id, m.status AS previous_status FROM messages m
                    JOIN contacts c ON c.order_id = m.order_id
                    WHERE m.next_attempt_at <= $3 AND (m.status IN ('pending', 'held')
                        OR (m.status = 'sending' AND m.locked_until < $3))
                    ORDER BY m.next_attempt_at
                    FOR UPDATE OF m SKIP LOCKED LIMIT $1
                )
                UPDATE messages m SET status = 'sending', attempts = m.attempts + 1,
                    locked_until = $3 + make_interval(secs => $2), updated_at = $3
                FROM due WHERE m.notification_id = due.notification_id
                RETURNING m.notification_id, due.previous_status
                """,
                limit,
                self._policy.lease_seconds,
                now,
            )
            if not claimed:
                return []
            previous = {row["notification_id"]: row["previous_status"] for row in claimed}
            rows = await conn.fetch(
                """
                SELECT m.*, c.chain_id AS contact_chain_id, c.customer_name,
                    c.phone AS contact_phone, c.sms_consent, c.branch_name, c.branch_phone,
                    b.timezone, b.state, b.window_starts_at, b.window_ends_at,
                    b.window_weekdays, p.latest_entry_sequence, p.closed_at AS order_closed_at,
                    o.opted_out_at, o.source AS opt_out_source,
                    coalesce(s.transliterate, false) AS transliterate
                FROM messages m
                JOIN contacts c ON c.order_id = m.order_id
                LEFT JOIN branches b ON b.branch_id = m.branch_id
                LEFT JOIN chain_sms_settings s ON s.chain_id = m.chain_id
                LEFT JOIN order_progress p ON p.order_id = m.order_id
                -- the customer's own opt-out (everywhere) or this chain's staff one, not
                -- another chain's
                LEFT JOIN LATERAL (
                    SELECT opted_out_at, source FROM opt_outs
                    WHERE phone = c.phone AND (set_by_chain IS NULL OR set_by_chain = m.chain_id)
                    ORDER BY set_by_chain NULLS FIRST LIMIT 1
                ) o ON true
                WHERE m.notification_id = ANY($1::uuid[])
                """,
                list(previous),
            )
        return [dict(r, previous_status=previous[r["notification_id"]]) for r in rows]

    async def _deliver(self, message: dict[str, Any]) -> None:
        key = f"{message['order_id']}:{message['entry_sequence']}"
        kept = self._accepted.get(key)
        if kept is not None:
            # The provider took it before an earlier ``sent`` write failed: record, never resend.
            log.info("sms_accept_recorded_from_kept_receipt", order=message["order_number"])
            await self._record_sent(message, key, kept)
            return
        now = self._clock()
        refusal = _refusal(message)
        if refusal is not None:
            await self._finish(message, refusal[0], reason=refusal[1])
            return
        if self._policy.respect_sending_hours:
            try:
                opening = self._next_opening(message, now)
            except NoSendingDay as exc:
                await self._finish(message, "failed", reason=str(exc))
                return
            if opening is not None:
                await self._hold(message, opening)
                return
        try:
            body = compose_sms(
                message["template"],
                self._values(message),
                self._policy.max_segments,
                gsm7_only=message["transliterate"],
            )
        except TemplateError as exc:
            await self._finish(message, "failed", reason=f"modelo inválido: {exc}")
            return
        segments = count_segments(body)
        message.update(body=body, encoding=segments.encoding, segments=segments.segments)
        provider = self._providers.for_round(message["attempts"])
        sms = OutgoingSms(idempotency_key=key, to=message["contact_phone"], body=body)
        try:
            receipt = await send_in_round(
                provider, sms, self._policy.send_tries, self._policy.send_timeout
            )
        except PermanentSendError as exc:
            await self._finish(message, "failed", reason=str(exc), provider=provider)
            return
        except AmbiguousSendError as exc:
            if provider.supports_idempotency:
                await self._retry_later(message, exc, provider)
            else:
                reason = (
                    f"{exc}; o SMS pode ter sido enviado: confira no provedor antes de reenviar"
                )
                await self._finish(message, "failed", reason=reason, provider=provider)
            return
        except Exception as exc:  # transient, or a provider bug: try again in a later round
            await self._retry_later(message, exc, provider)
            return
        accepted = Accepted(
            provider, receipt.provider_message_id, body, segments.encoding, segments.segments
        )
        self._accepted[key] = accepted
        await self._record_sent(message, key, accepted)

    async def _record_sent(self, message: dict[str, Any], key: str, accepted: Accepted) -> None:
        """Write ``sent`` for a provider's accept, until it lands.

        The receipt stays in ``_accepted`` until the write lands (or finds the message already
        finished), so neither this task nor a later claim of this process sends it again.
        Through a database outage the write is tried again until the database answers. Any
        other error (a statement cancelled, a deadlock) is tried again too, up to
        ``SENT_WRITE_MAX_FAILURES`` times; between tries the lease is renewed, so another
        process never claims the message and sends it a second time while this one holds its
        receipt. Past that, the receipt stays kept: the lease runs out and this process's next
        claim records it.
        """
        message.update(body=accepted.body, encoding=accepted.encoding, segments=accepted.segments)
        pause = SENT_WRITE_FIRST_PAUSE
        tries = failures = 0
        while True:
            try:
                await self._finish(
                    message,
                    "sent",
                    provider=accepted.provider,
                    provider_message_id=accepted.provider_message_id,
                    accepted=True,
                )
            except DATABASE_OUTAGE as exc:
                tries += 1
                log.warning(
                    "sms_sent_write_held_database_unavailable",
                    order=message["order_number"],
                    tries=tries,
                    retry_in=pause,
                    error=f"{type(exc).__name__}: {exc}",
                )
            except Exception as exc:
                failures += 1
                if failures > SENT_WRITE_MAX_FAILURES:
                    raise
                log.warning(
                    "sms_sent_write_failed_retrying",
                    order=message["order_number"],
                    tries=failures,
                    retry_in=pause,
                    error=f"{type(exc).__name__}: {exc}",
                )
            else:
                self._accepted.pop(key, None)
                return
            await self._renew_lease(message)
            await asyncio.sleep(pause)
            pause = min(SENT_WRITE_MAX_PAUSE, pause * 2)

    async def _renew_lease(self, message: dict[str, Any]) -> None:
        """Push this claim's lease a full lease from now, if the claim still holds it and the
        database answers (else nothing: the ``sent`` write lands whoever holds the lease)."""
        now = self._clock()
        try:
            async with self._pool.acquire() as conn:
                renewed = await conn.fetchval(
                    """
                    UPDATE messages SET locked_until = $3::timestamptz + make_interval(secs => $4)
                    WHERE notification_id = $1 AND status = 'sending' AND locked_until = $2
                    RETURNING locked_until
                    """,
                    message["notification_id"],
                    message["locked_until"],
                    now,
                    self._policy.lease_seconds,
                )
        except Exception as exc:  # the database is still away or busy: the write's next try
            log.warning("sms_lease_not_renewed", error=f"{type(exc).__name__}: {exc}")
            return
        if renewed is not None:
            message["locked_until"] = renewed

    def _next_opening(self, message: dict[str, Any], now: datetime) -> datetime | None:
        window = SendingWindow(timezone=message["timezone"] or DEFAULT_TIMEZONE)
        if message["window_starts_at"] is not None:
            window = SendingWindow(
                timezone=window.timezone,
                starts_at=message["window_starts_at"],
                ends_at=message["window_ends_at"],
                weekdays=frozenset(message["window_weekdays"]),
            )
        closed = self._closed_days(message["state"] or "", years_ahead(now))
        return next_opening(now, window, closed)

    def _values(self, message: dict[str, Any]) -> TemplateValues:
        return TemplateValues(
            customer_name=message["customer_name"],
            order_number=message["order_number"],
            stage_name=message["customer_stage_name"] or message["stage_name"],
            promised_date=message["promised_date"],
            forecast_date=message["forecast_date"],
            branch_name=message["branch_name"],
            branch_phone=message["branch_phone"],
            tracking_link=tracking_url(self._tracking_base_url, message["tracking_token"]),
        )

    async def _hold(self, message: dict[str, Any], opening: datetime) -> None:
        local = opening.astimezone(ZoneInfo(message["timezone"] or DEFAULT_TIMEZONE))
        reason = f"fora do horário de envio da filial; envio em {local:%d/%m/%Y às %H:%M}"
        now = self._clock()
        async with self._pool.acquire() as conn, conn.transaction():
            held = await conn.fetchval(
                """
                UPDATE messages SET status = 'held', send_after = $2, next_attempt_at = $2,
                    attempts = attempts - 1, status_reason = $3, locked_until = NULL,
                    updated_at = $4
                WHERE notification_id = $1 AND status = 'sending' AND locked_until = $5
                RETURNING true
                """,
                message["notification_id"],
                opening,
                reason,
                now,
                message["locked_until"],
            )
            if held and message["previous_status"] != "held":
                await outbox.enqueue(conn, status_event(message, "held", reason, now))
        log.info("sms_held", order=message["order_number"], send_after=opening.isoformat())

    async def _retry_later(
        self, message: dict[str, Any], exc: Exception, provider: SmsProvider
    ) -> None:
        attempts: int = message["attempts"]
        if attempts >= self._policy.max_attempts:
            reason = f"{attempts} rodadas de envio falharam; última: {exc}"
            await self._finish(message, "failed", reason=reason, provider=provider)
            return
        delay = min(MAX_RETRY_DELAY, self._policy.retry_base_delay * 2 ** (attempts - 1))
        delay = delay / 2 + _jitter.uniform(0, delay / 2)
        log.warning("sms_round_failed_will_retry", attempts=attempts, error=str(exc))
        now = self._clock()
        async with self._pool.acquire() as conn:
            await conn.execute(
                """
                UPDATE messages SET status = 'pending', locked_until = NULL, provider = $3,
                    status_reason = $2, updated_at = $4, next_attempt_at = $5
                WHERE notification_id = $1 AND status = 'sending' AND locked_until = $6
                """,
                message["notification_id"],
                f"rodada {attempts} falhou ({provider.name}): {exc}",
                provider.name,
                now,
                now + timedelta(seconds=delay),
                message["locked_until"],
            )

    async def _finish(
        self,
        message: dict[str, Any],
        status: NotificationState,
        *,
        reason: str | None = None,
        provider: SmsProvider | None = None,
        provider_message_id: str | None = None,
        accepted: bool = False,
    ) -> None:
        """Write the message's outcome if this claim still holds its lease.

        ``accepted``: the provider took the message, which is a fact whoever holds the lease now,
        so the write lands on any unfinished message (the lease ran out during an outage and the
        message was claimed again, or put back to ``pending``).
        """
        now = self._clock()
        async with self._pool.acquire() as conn, conn.transaction():
            finished = await conn.fetchval(
                """
                UPDATE messages SET status = $2, status_reason = $3, body = coalesce($4, body),
                    phone = $5, provider = coalesce($6, provider), provider_message_id = $7,
                    encoding = $8, segments = $9, locked_until = NULL,
                    sent_at = CASE WHEN $2 = 'sent' THEN $10 ELSE sent_at END, updated_at = $10
                WHERE notification_id = $1 AND (
                    (status = 'sending' AND locked_until = $11)
                    OR ($12 AND status IN ('sending', 'pending', 'held')))
                RETURNING true
                """,
                message["notification_id"],
                status,
                reason,
                message.get("body"),
                message["contact_phone"],
                provider.name if provider else None,
                provider_message_id,
                message.get("encoding"),
                message.get("segments"),
                now,
                message["locked_until"],
                accepted,
            )
            if not finished:
                log.warning("sms_lease_lost", order=message["order_number"], status=status)
                return
            await outbox.enqueue(conn, status_event(message, status, reason, now))
        log.info("sms_status", status=status, reason=reason, order=message["order_number"])


def _refusal(message: dict[str, Any]) -> tuple[NotificationState, str] | None:
    """Why this message must not go out at all, if it must not (rules 3 and 4)."""
    if message["contact_chain_id"] != message["chain_id"]:
        return "failed", "o contato da OS pertence a outra rede"
    if not message["sms_consent"]:
        return "suppressed", "cliente sem consentimento para SMS"
    if message["opted_out_at"] is not None:
        if message["opt_out_source"] == "staff":
            return "suppressed", "o número foi descadastrado pela equipe"
        return "suppressed", "o número pediu para não receber SMS"
    if message["send_after"] is not None:  # it was held for the sending window
        if message["order_closed_at"] is not None:
            return "suppressed", "a OS foi encerrada antes do horário de envio"
        latest = message["latest_entry_sequence"]
        if latest is not None and latest > message["entry_sequence"]:
            return "suppressed", "a OS já passou desta etapa antes do horário de envio"
    return None


def status_event(
    message: dict[str, Any], status: NotificationState, reason: str | None, now: datetime
) -> NotificationStatus:
    notification_id: UUID = message["notification_id"]
    return NotificationStatus(
        occurred_at=now,
        correlation_id=f"sms-{notification_id}",
        chain_id=message["chain_id"],
        branch_id=message.get("branch_id"),
        order_id=message["order_id"],
        notification_id=notification_id,
        entry_sequence=message["entry_sequence"],
        status=status,
        reason=reason,
    )
