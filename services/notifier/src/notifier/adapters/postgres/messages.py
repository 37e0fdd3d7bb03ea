"""The ``messages`` table: every message and its status (see ``notifier.domain.lifecycle``).

A claim is ``FOR UPDATE SKIP LOCKED``, so several notifier processes share the work and never
claim the same message; its lease (``locked_until``) is also the claim's token: a write whose
lease ran out (another process claimed the message since) lands nowhere.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast
from uuid import UUID

import asyncpg

from etapa_contracts.events import Event
from notifier.domain.delivery import OptOutSource, OrderState
from notifier.domain.lifecycle import MessageState
from notifier.usecases.ports import ReportOutcome
from notifier.usecases.records import (
    BranchWindow,
    ClaimedMessage,
    EarlyReport,
    MessageKey,
    MessageQuery,
    NewMessage,
    Outcome,
    StaffMessage,
)
from shared import outbox, outbox_direct
from shared.database import Connection

_KEY_COLUMNS = "notification_id, chain_id, branch_id, order_id, entry_sequence, correlation_id"


def message_key(row: asyncpg.Record) -> MessageKey:
    return MessageKey(
        notification_id=row["notification_id"],
        chain_id=row["chain_id"],
        branch_id=row["branch_id"],
        order_id=row["order_id"],
        entry_sequence=row["entry_sequence"],
        correlation_id=row["correlation_id"],
    )


class PostgresMessages:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, message: NewMessage) -> bool:
        added = await self._conn.fetchval(
            """
            INSERT INTO messages (notification_id, chain_id, order_id, branch_id, order_number,
                entry_sequence, stage_key, stage_name, template, promised_date, forecast_date,
                next_attempt_at, status, status_reason, tracking_token, customer_stage_name,
                correlation_id, trace_context)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
                    CASE WHEN $13::text IS NULL THEN 'pending' ELSE 'suppressed' END, $13,
                    $14, $15, $16, $17)
            ON CONFLICT (order_id, entry_sequence) DO NOTHING
            RETURNING true
            """,
            message.notification_id,
            message.chain_id,
            message.order_id,
            message.branch_id,
            message.order_number,
            message.entry_sequence,
            message.stage_key,
            message.stage_name,
            message.template,
            message.promised_date,
            message.forecast_date,
            message.next_attempt_at,
            message.suppressed_reason,
            message.tracking_token,
            message.customer_stage_name,
            message.correlation_id,
            message.trace_context,
        )
        return bool(added)

    async def first_entry_on_its_way(
        self, order_id: UUID, stage_key: str, before_sequence: int
    ) -> int | None:
        earlier: int | None = await self._conn.fetchval(
            """
            SELECT entry_sequence FROM messages
            WHERE order_id = $1 AND stage_key = $2 AND entry_sequence < $3
              AND status IN ('pending', 'sending', 'sent', 'delivered')
            ORDER BY entry_sequence LIMIT 1
            """,
            order_id,
            stage_key,
            before_sequence,
        )
        return earlier

    async def claim_due(
        self, limit: int, now: datetime, lease_seconds: float
    ) -> list[ClaimedMessage]:
        """One statement: the due messages claimed (``sending``, leased) and read with what
        sending them needs; outside a transaction it commits on its own."""
        rows = await self._conn.fetch(
            """
            WITH due AS (
                SELECT m.notification_id, m.status AS previous_status,
                    m.updated_at AS previous_claimed_at FROM messages m
                JOIN contacts c ON c.order_id = m.order_id
                WHERE m.next_attempt_at <= $3 AND (m.status IN ('pending', 'held')
                    OR (m.status = 'sending' AND m.locked_until < $3))
                ORDER BY m.next_attempt_at
                FOR UPDATE OF m SKIP LOCKED LIMIT $1
            ), claimed AS (
                UPDATE messages m SET status = 'sending', attempts = m.attempts + 1,
                    locked_until = $3 + make_interval(secs => $2), updated_at = $3
                FROM due WHERE m.notification_id = due.notification_id
                RETURNING m.*, due.previous_status, due.previous_claimed_at
            )
            SELECT m.*, c.chain_id AS contact_chain_id, c.customer_name,
                c.phone AS contact_phone, c.sms_consent, c.branch_name, c.branch_phone,
                b.timezone, b.state, b.window_starts_at, b.window_ends_at,
                b.window_weekdays, p.latest_entry_sequence, p.closed_at AS order_closed_at,
                o.source AS opt_out_source, coalesce(s.transliterate, false) AS transliterate,
                EXISTS (
                    SELECT 1 FROM messages later
                    WHERE later.order_id = m.order_id AND later.entry_sequence > m.entry_sequence
                      AND later.status IN ('sent', 'delivered')
                ) AS later_stage_sent
            FROM claimed m
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
            ORDER BY m.next_attempt_at
            """,
            limit,
            lease_seconds,
            now,
        )
        return [_claimed(row, row["previous_status"], row["previous_claimed_at"]) for row in rows]

    async def hold(
        self, claim: ClaimedMessage, until: datetime, reason: str, now: datetime
    ) -> bool:
        held = await self._conn.fetchval(
            """
            UPDATE messages SET status = 'held', send_after = $2, next_attempt_at = $2,
                attempts = attempts - 1, status_reason = $3, locked_until = NULL,
                updated_at = $4
            WHERE notification_id = $1 AND status = 'sending' AND locked_until = $5
            RETURNING true
            """,
            claim.key.notification_id,
            until,
            reason,
            now,
            claim.locked_until,
        )
        return bool(held)

    async def retry_later(
        self, claim: ClaimedMessage, provider: str, reason: str, now: datetime, due: datetime
    ) -> bool:
        moved = await self._conn.fetchval(
            """
            UPDATE messages SET status = 'pending', locked_until = NULL, provider = $3,
                status_reason = $2, updated_at = $4, next_attempt_at = $5
            WHERE notification_id = $1 AND status = 'sending' AND locked_until = $6
            RETURNING true
            """,
            claim.key.notification_id,
            reason,
            provider,
            now,
            due,
            claim.locked_until,
        )
        return bool(moved)

    async def finish(
        self,
        claim: ClaimedMessage,
        outcome: Outcome,
        now: datetime,
        *,
        accepted: bool,
        event: Event,
    ) -> bool:
        grace = outbox_direct.grace(self._conn)
        row = await self._conn.fetchrow(
            f"""
            WITH finished AS (
                UPDATE messages SET status = $2, status_reason = $3, body = coalesce($4, body),
                    phone = $5, provider = coalesce($6, provider), provider_message_id = $7,
                    encoding = $8, segments = $9, locked_until = NULL,
                    sent_at = CASE WHEN $2 = 'sent' THEN $10 ELSE sent_at END, updated_at = $10
                WHERE notification_id = $1 AND (
                    (status = 'sending' AND locked_until = $11)
                    OR ($12 AND status IN ('sending', 'pending', 'held')))
                RETURNING notification_id
            )
            INSERT INTO outbox ({outbox_direct.COLUMNS})
            SELECT {outbox.row_placeholders(13)}, {outbox_direct.due_in(f"${13 + outbox.WIDTH}")}
            FROM finished
            RETURNING id, payload
            """,
            claim.key.notification_id,
            outcome.status,
            outcome.reason,
            outcome.body,
            outcome.phone,
            outcome.provider,
            outcome.provider_message_id,
            outcome.encoding,
            outcome.segments,
            now,
            claim.locked_until,
            accepted,
            *outbox.row_values(event),
            grace,
        )
        if row is None:
            return False
        await outbox_direct.committed(self._conn, grace, row["id"], event, row["payload"])
        return True

    async def renew_lease(
        self, claim: ClaimedMessage, now: datetime, lease_seconds: float
    ) -> datetime | None:
        renewed: datetime | None = await self._conn.fetchval(
            """
            UPDATE messages SET locked_until = $3::timestamptz + make_interval(secs => $4)
            WHERE notification_id = $1 AND status = 'sending' AND locked_until = $2
            RETURNING locked_until
            """,
            claim.key.notification_id,
            claim.locked_until,
            now,
            lease_seconds,
        )
        return renewed

    async def due_again_for_branch(self, branch_id: UUID, now: datetime) -> int:
        result = await self._conn.execute(
            """
            UPDATE messages SET next_attempt_at = $2
            WHERE branch_id = $1 AND status = 'held' AND next_attempt_at > $2
            """,
            branch_id,
            now,
        )
        return int(result.split()[-1])

    async def suppress_waiting(
        self, phone: str, reason: str, now: datetime, chain_id: UUID | None
    ) -> list[MessageKey]:
        rows = await self._conn.fetch(
            f"""
            UPDATE messages m SET status = 'suppressed', status_reason = $2, locked_until = NULL,
                updated_at = $3
            FROM contacts c
            WHERE c.order_id = m.order_id AND c.phone = $1 AND m.status IN ('pending', 'held')
              AND ($4::uuid IS NULL OR m.chain_id = $4)
            RETURNING {", ".join("m." + column for column in _KEY_COLUMNS.split(", "))}
            """,
            phone,
            reason,
            now,
            chain_id,
        )
        return [message_key(row) for row in rows]

    async def apply_report(
        self,
        provider: str,
        provider_message_id: str,
        outcome: ReportOutcome,
        reason: str | None,
        now: datetime,
    ) -> MessageKey | None:
        row = await self._conn.fetchrow(
            f"""
            UPDATE messages SET status = $3, updated_at = $5,
                status_reason = CASE WHEN $3 = 'failed' THEN $4 ELSE status_reason END,
                delivered_at = CASE WHEN $3 = 'delivered' THEN $5 ELSE delivered_at END
            WHERE provider = $1 AND provider_message_id = $2 AND status = 'sent'
            RETURNING {_KEY_COLUMNS}
            """,
            provider,
            provider_message_id,
            outcome,
            reason,
            now,
        )
        return None if row is None else message_key(row)

    async def knows(self, provider: str, provider_message_id: str) -> bool:
        known = await self._conn.fetchval(
            "SELECT true FROM messages WHERE provider = $1 AND provider_message_id = $2",
            provider,
            provider_message_id,
        )
        return bool(known)

    async def keep_early_report(self, report: EarlyReport, keep_since: datetime) -> None:
        await self._conn.execute(
            """
            WITH dropped AS (DELETE FROM early_reports WHERE received_at < $6)
            INSERT INTO early_reports
                (provider, provider_message_id, outcome, reason, received_at)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (provider, provider_message_id) DO NOTHING
            """,
            report.provider,
            report.provider_message_id,
            report.outcome,
            report.reason,
            report.received_at,
            keep_since,
        )

    async def early_reports_due(self, limit: int) -> list[EarlyReport]:
        rows = await self._conn.fetch(
            """
            SELECT e.provider, e.provider_message_id, e.outcome, e.reason, e.received_at
            FROM early_reports e JOIN messages m
              ON m.provider = e.provider AND m.provider_message_id = e.provider_message_id
            WHERE m.status = 'sent'
            ORDER BY e.received_at
            LIMIT $1
            """,
            limit,
        )
        return [
            EarlyReport(
                row["provider"],
                row["provider_message_id"],
                row["outcome"],
                row["reason"],
                row["received_at"],
            )
            for row in rows
        ]

    async def take_early_report(self, report: EarlyReport) -> bool:
        taken = await self._conn.fetchval(
            """
            DELETE FROM early_reports WHERE provider = $1 AND provider_message_id = $2
            RETURNING true
            """,
            report.provider,
            report.provider_message_id,
        )
        return bool(taken)

    async def for_staff(self, query: MessageQuery) -> list[StaffMessage]:
        rows = await self._conn.fetch(
            """
            SELECT m.*, coalesce(m.phone, c.phone) AS shown_phone, b.timezone AS branch_timezone,
                p.latest_entry_sequence, p.closed_at AS order_closed_at
            FROM messages m
            LEFT JOIN contacts c ON c.order_id = m.order_id AND c.chain_id = m.chain_id
            LEFT JOIN branches b ON b.branch_id = m.branch_id
            LEFT JOIN order_progress p ON p.order_id = m.order_id
            WHERE m.chain_id = $1 AND ($2::uuid IS NULL OR m.order_id = $2)
              AND ($9::uuid[] IS NULL OR m.branch_id = ANY($9::uuid[]))
              AND ($3::uuid IS NULL OR m.branch_id = $3)
              AND ($4::text IS NULL OR m.status = $4)
              AND ($5::date IS NULL OR m.created_at >= $5)
              AND ($6::date IS NULL OR m.created_at < $6 + 1)
            ORDER BY m.created_at DESC, m.notification_id LIMIT $7 OFFSET $8
            """,
            query.chain_id,
            query.order_id,
            query.branch,
            query.status,
            query.created_from,
            query.created_to,
            query.limit,
            query.offset,
            None if query.branches is None else list(query.branches),
        )
        return [_staff_message(row) for row in rows]


def _claimed(
    row: asyncpg.Record, previous_status: str, previous_claimed_at: datetime | None
) -> ClaimedMessage:
    window = None
    if row["window_starts_at"] is not None:
        window = BranchWindow(
            starts_at=row["window_starts_at"],
            ends_at=row["window_ends_at"],
            weekdays=frozenset(row["window_weekdays"]),
        )
    return ClaimedMessage(
        key=message_key(row),
        order_number=row["order_number"],
        stage_name=row["stage_name"],
        customer_stage_name=row["customer_stage_name"],
        template=row["template"],
        promised_date=row["promised_date"],
        forecast_date=row["forecast_date"],
        tracking_token=row["tracking_token"],
        attempts=row["attempts"],
        locked_until=row["locked_until"],
        send_after=row["send_after"],
        previous_status=cast(MessageState, previous_status),
        lost_claim_at=previous_claimed_at if previous_status == "sending" else None,
        contact_chain_id=row["contact_chain_id"],
        customer_name=row["customer_name"],
        contact_phone=row["contact_phone"],
        sms_consent=row["sms_consent"],
        branch_name=row["branch_name"],
        branch_phone=row["branch_phone"],
        timezone=row["timezone"],
        state=row["state"],
        window=window,
        latest_entry_sequence=row["latest_entry_sequence"],
        order_closed=row["order_closed_at"] is not None,
        later_stage_sent=row["later_stage_sent"],
        opted_out_by=cast(OptOutSource | None, row["opt_out_source"]),
        transliterate=row["transliterate"],
        trace_context=row["trace_context"],
    )


def _staff_message(row: asyncpg.Record) -> StaffMessage:
    return StaffMessage(
        notification_id=row["notification_id"],
        chain_id=row["chain_id"],
        order_id=row["order_id"],
        branch_id=row["branch_id"],
        order_number=row["order_number"],
        entry_sequence=row["entry_sequence"],
        stage_key=row["stage_key"],
        stage_name=row["stage_name"],
        body=row["body"],
        shown_phone=row["shown_phone"],
        branch_timezone=row["branch_timezone"],
        status=row["status"],
        status_reason=row["status_reason"],
        provider=row["provider"],
        attempts=row["attempts"],
        encoding=row["encoding"],
        segments=row["segments"],
        send_after=row["send_after"],
        created_at=row["created_at"],
        sent_at=row["sent_at"],
        delivered_at=row["delivered_at"],
        updated_at=row["updated_at"],
        progress=OrderState(
            entry_sequence=row["entry_sequence"],
            latest_entry_sequence=row["latest_entry_sequence"],
            closed=row["order_closed_at"] is not None,
        ),
    )
