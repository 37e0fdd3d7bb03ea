"""The dispatcher: claims recorded messages, renders them and hands them to the provider.

Rules:
- A message waits until its contact is known (order.opened may arrive after the stage change).
- Claiming marks a message ``sending`` with a lease, under ``FOR UPDATE SKIP LOCKED``, so
  several notifier processes share the work and never claim the same message. A process that
  dies mid-send leaves a lease that expires; the message is then claimed again with the same
  idempotency key, which the provider uses to drop the duplicate.
- No consent: the message is ``suppressed`` with the reason, never sent.
- Every final status is published as ``notification.status.v1`` with the status change.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from notifier.providers import OutgoingSms, PermanentSendError, SmsProvider
from shared import outbox
from shared.clock import Clock
from shared.events import NotificationState, NotificationStatus
from shared.logging import correlation_scope, get_logger
from shared.sms_template import TemplateError, TemplateValues, render_template

log = get_logger(__name__)

LEASE_SECONDS = 60
MAX_ATTEMPTS = 5


class Dispatcher:
    def __init__(
        self,
        pool: asyncpg.Pool,
        provider: SmsProvider,
        clock: Clock,
        *,
        tracking_base_url: str | None,
        interval: float,
        batch_size: int = 20,
    ) -> None:
        self._pool = pool
        self._provider = provider
        self._clock = clock
        self._tracking_base_url = tracking_base_url
        self._interval = interval
        self._batch_size = batch_size

    async def run(self) -> None:
        while True:
            try:
                handled = await self.dispatch_once()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("dispatcher_database_unavailable", error=str(exc))
                handled = 0
            if handled < self._batch_size:
                await asyncio.sleep(self._interval)

    async def dispatch_once(self) -> int:
        claimed = await self._claim()
        for message in claimed:
            with correlation_scope(f"sms-{message['notification_id']}"):
                await self._deliver(message)
        return len(claimed)

    async def _claim(self) -> list[dict[str, Any]]:
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                """
                WITH due AS (
                    SELECT m.notification_id FROM messages m
                    JOIN contacts c ON c.order_id = m.order_id
                    WHERE m.next_attempt_at <= now() AND (m.status = 'pending'
                        OR (m.status = 'sending' AND m.locked_until < now()))
                    ORDER BY m.next_attempt_at
                    FOR UPDATE OF m SKIP LOCKED LIMIT $1
                )
                UPDATE messages m SET status = 'sending', attempts = m.attempts + 1,
                    locked_until = now() + make_interval(secs => $2), updated_at = now()
                FROM due, contacts c
                WHERE m.notification_id = due.notification_id AND c.order_id = m.order_id
                RETURNING m.*, c.customer_name, c.phone AS contact_phone, c.sms_consent,
                    c.branch_name, c.branch_phone
                """,
                self._batch_size,
                LEASE_SECONDS,
            )
        return [dict(r) for r in rows]

    async def _deliver(self, message: dict[str, Any]) -> None:
        if not message["sms_consent"]:
            await self._finish(message, "suppressed", reason="cliente sem consentimento para SMS")
            return
        try:
            body = render_template(message["template"], self._values(message))
        except TemplateError as exc:
            await self._finish(message, "failed", reason=f"modelo inválido: {exc}")
            return
        sms = OutgoingSms(
            idempotency_key=f"{message['order_id']}:{message['entry_sequence']}",
            to=message["contact_phone"],
            body=body,
        )
        try:
            receipt = await self._provider.send(sms)
        except PermanentSendError as exc:
            await self._finish(message, "failed", reason=str(exc), body=body)
            return
        except Exception as exc:
            await self._retry_later(message, exc)
            return
        await self._finish(
            message, "sent", body=body, provider_message_id=receipt.provider_message_id
        )

    def _values(self, message: dict[str, Any]) -> TemplateValues:
        link = (
            f"{self._tracking_base_url.rstrip('/')}/{message['order_id']}"
            if self._tracking_base_url
            else None
        )
        return TemplateValues(
            customer_name=message["customer_name"],
            order_number=message["order_number"],
            stage_name=message["stage_name"],
            promised_date=message["promised_date"],
            forecast_date=message["forecast_date"],
            branch_name=message["branch_name"],
            branch_phone=message["branch_phone"],
            tracking_link=link,
        )

    async def _retry_later(self, message: dict[str, Any], exc: Exception) -> None:
        if message["attempts"] >= MAX_ATTEMPTS:
            await self._finish(message, "failed", reason=f"provedor falhou: {exc}")
            return
        log.warning("sms_send_failed_will_retry", attempts=message["attempts"], error=str(exc))
        async with self._pool.acquire() as conn:
            await conn.execute(
                """
                UPDATE messages SET status = 'pending', locked_until = NULL,
                    status_reason = $2, updated_at = now(),
                    next_attempt_at = now() + make_interval(secs => power(2, attempts)::float8)
                WHERE notification_id = $1
                """,
                message["notification_id"],
                f"tentativa {message['attempts']} falhou: {exc}",
            )

    async def _finish(
        self,
        message: dict[str, Any],
        status: NotificationState,
        *,
        reason: str | None = None,
        body: str | None = None,
        provider_message_id: str | None = None,
    ) -> None:
        now = self._clock()
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                """
                UPDATE messages SET status = $2, status_reason = $3, body = coalesce($4, body),
                    phone = $5, provider = $6, provider_message_id = $7, locked_until = NULL,
                    sent_at = CASE WHEN $2 = 'sent' THEN $8 ELSE sent_at END, updated_at = $8
                WHERE notification_id = $1
                """,
                message["notification_id"],
                status,
                reason,
                body,
                message["contact_phone"],
                self._provider.name,
                provider_message_id,
                now,
            )
            await outbox.enqueue(conn, _status_event(message, status, reason, now))
        log.info("sms_status", status=status, reason=reason, order=message["order_number"])


def _status_event(
    message: dict[str, Any], status: NotificationState, reason: str | None, now: datetime
) -> NotificationStatus:
    notification_id: UUID = message["notification_id"]
    return NotificationStatus(
        occurred_at=now,
        correlation_id=f"sms-{notification_id}",
        chain_id=message["chain_id"],
        order_id=message["order_id"],
        notification_id=notification_id,
        entry_sequence=message["entry_sequence"],
        status=status,
        reason=reason,
    )
