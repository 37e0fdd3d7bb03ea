"""Opt-outs and delivery reports applied to the database, each change published.

- Opting a number out records it (once; the first reason stays) and, in the same transaction,
  turns that number's ``pending`` and ``held`` messages into ``suppressed`` with the reason, each
  published as ``notification.status.v1``. A message being sent right now may still go out.
- Opting back in removes the record; messages already suppressed stay so.
- A delivery report moves a ``sent`` message of that provider to ``delivered`` or ``failed``;
  a report for a message in any other status, or unknown, changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from notifier.callbacks import StatusReport
from notifier.dispatch import status_event
from shared import outbox
from shared.database import Connection
from shared.logging import get_logger

log = get_logger(__name__)

OptOutSource = Literal["reply", "staff"]
ReportResult = Literal["applied", "unchanged", "unknown"]


async def opt_out(
    conn: Connection,
    phone: str,
    *,
    source: OptOutSource,
    now: datetime,
    provider: str | None = None,
    keyword: str | None = None,
    chain_id: UUID | None = None,
) -> bool:
    """Opt ``phone`` out; True when it was not opted out before."""
    created = await conn.fetchval(
        """
        INSERT INTO opt_outs (phone, opted_out_at, source, provider, keyword, set_by_chain)
        VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (phone) DO NOTHING RETURNING true
        """,
        phone,
        now,
        source,
        provider,
        keyword,
        chain_id,
    )
    reason = (
        f"o número pediu para não receber SMS (respondeu {keyword})"
        if source == "reply"
        else "o número foi descadastrado pela equipe"
    )
    rows = await conn.fetch(
        """
        UPDATE messages m SET status = 'suppressed', status_reason = $2, locked_until = NULL,
            updated_at = $3
        FROM contacts c
        WHERE c.order_id = m.order_id AND c.phone = $1 AND m.status IN ('pending', 'held')
        RETURNING m.notification_id, m.chain_id, m.branch_id, m.order_id, m.entry_sequence
        """,
        phone,
        reason,
        now,
    )
    for row in rows:
        await outbox.enqueue(conn, status_event(dict(row), "suppressed", reason, now))
    log.info("phone_opted_out", phone=phone, source=source, suppressed=len(rows))
    return bool(created)


async def opt_in(conn: Connection, phone: str) -> bool:
    """Remove ``phone``'s opt-out; True when there was one."""
    removed = await conn.fetchval("DELETE FROM opt_outs WHERE phone = $1 RETURNING true", phone)
    log.info("phone_opted_in", phone=phone, was_opted_out=bool(removed))
    return bool(removed)


async def apply_report(
    conn: Connection, provider: str, report: StatusReport, now: datetime
) -> ReportResult:
    if report.outcome is None:
        return "unchanged"
    row = await conn.fetchrow(
        """
        UPDATE messages SET status = $3, updated_at = $5,
            status_reason = CASE WHEN $3 = 'failed' THEN $4 ELSE status_reason END,
            delivered_at = CASE WHEN $3 = 'delivered' THEN $5 ELSE delivered_at END
        WHERE provider = $1 AND provider_message_id = $2 AND status = 'sent'
        RETURNING notification_id, chain_id, branch_id, order_id, entry_sequence
        """,
        provider,
        report.provider_message_id,
        report.outcome,
        report.reason,
        now,
    )
    if row is None:
        known = await conn.fetchval(
            "SELECT true FROM messages WHERE provider = $1 AND provider_message_id = $2",
            provider,
            report.provider_message_id,
        )
        if not known:
            log.warning("delivery_report_for_unknown_message", provider=provider)
        return "unchanged" if known else "unknown"
    reason = report.reason if report.outcome == "failed" else None
    await outbox.enqueue(conn, status_event(dict(row), report.outcome, reason, now))
    return "applied"
