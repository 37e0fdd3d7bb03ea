"""Receiving a lab message: store it raw, apply it to its order, or keep it rejected.

Rules:
- Every message is stored with its outcome, in the transaction that applies it: ``accepted``
  (applied on arrival), ``rejected`` (kept with the reason, for a person to look at and
  replay), ``replayed`` (rejected once, applied on replay) or ``stale`` (older than what the
  order already shows, kept but not published).
- The sender is the lab of the routing key ``lab.<code>.status`` (or of the HTTP API key); the
  body's ``lab_code`` is optional and, when given, must name the same lab. The order is looked
  up by its number within that lab's chain, and must not be with another lab.
- An order is bound to a lab when it is opened with one, or else by the first lab message
  applied to it: from then on another lab's messages about it are rejected, with a reason that
  does not name the lab holding it.
- A message is recognised by (sender, ``message_id``): a resend of an applied or stale message
  changes nothing (duplicate); a resend of a rejected one is tried again on the same row.
- Intake keeps the latest applied ``occurred_at`` per (order, lab); an older message is stale.
  One with the same instant is applied (the lab reported two steps at once).
- ``occurred_at`` must fall within a window around the time intake received the message
  (``LabTimeWindow``: 30 days back, 10 minutes ahead by default): a year-1 time (stored as
  -infinity, it broke every later status of the order) or one in the future (every correct
  later status would be "stale") is rejected with the reason, and poisons nothing.
- An accepted message updates the order's lab order number and publishes ``lab.status.v1``
  through the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID, uuid4

from intake.lab.message import LabMessage, LabTimeWindow, Unreadable, read
from intake.labs import Lab, lab_by_code
from intake.sequence import next_event_seq
from shared import outbox
from shared.database import Connection
from shared.events import LabStatus
from shared.logging import current_correlation_id, get_logger
from shared.metrics import MESSAGES_HANDLED

log = get_logger(__name__)

LAB_CONSUMER = "intake.lab.status"
Via = Literal["amqp", "http"]
Status = Literal["accepted", "rejected", "replayed", "stale"]


class NotReplayable(ValueError):
    """Only a rejected message can be replayed."""


DEFAULT_WINDOW = LabTimeWindow()


@dataclass(frozen=True, slots=True)
class Outcome:
    lab_message_id: UUID
    status: Status | Literal["duplicate"]
    reason: str | None = None
    order_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class _Decision:
    status: Status
    reason: str | None = None
    order_id: UUID | None = None
    occurred_at: datetime | None = None


async def receive(
    conn: Connection,
    *,
    body: bytes,
    sender_code: str,
    via: Via,
    routing_key: str | None,
    now: datetime,
    window: LabTimeWindow = DEFAULT_WINDOW,
) -> Outcome:
    """Store and apply one message from the lab ``sender_code``; one transaction."""
    async with conn.transaction():
        sender = await lab_by_code(conn, sender_code)
        message = read(body)
        lab_message_id = uuid4()
        inserted = await conn.fetchval(
            """
            INSERT INTO lab_messages (lab_message_id, received_at, via, routing_key, lab_code,
                chain_id, message_id, body, status, last_attempt_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'rejected', $2)
            ON CONFLICT (lab_code, message_id)
                WHERE lab_code IS NOT NULL AND message_id IS NOT NULL DO NOTHING
            RETURNING true
            """,
            lab_message_id,
            now,
            via,
            routing_key,
            sender_code,
            sender.chain_id if sender else None,
            message.message_id,
            body,
        )
        if not inserted:
            earlier = await conn.fetchrow(
                "SELECT lab_message_id, status, order_id FROM lab_messages "
                "WHERE lab_code = $1 AND message_id = $2 FOR UPDATE",
                sender_code,
                message.message_id,
            )
            assert earlier is not None  # the conflicting row committed before we saw it
            lab_message_id = earlier["lab_message_id"]
            if earlier["status"] != "rejected":
                MESSAGES_HANDLED.labels(consumer=LAB_CONSUMER, outcome="duplicate").inc()
                log.info("lab_message_duplicate", lab_message_id=str(lab_message_id))
                return Outcome(lab_message_id, "duplicate", order_id=earlier["order_id"])
            await conn.execute(
                "UPDATE lab_messages SET body = $2, via = $3, routing_key = $4, "
                "attempts = attempts + 1 WHERE lab_message_id = $1",
                lab_message_id,
                body,
                via,
                routing_key,
            )
        decision = await _apply(
            conn, lab_message_id, sender, sender_code, message, "accepted", now, window, now
        )
        return await _record(conn, lab_message_id, decision, now)


async def replay(
    conn: Connection,
    *,
    chain_id: UUID,
    lab_message_id: UUID,
    now: datetime,
    window: LabTimeWindow = DEFAULT_WINDOW,
) -> Outcome | None:
    """Try a rejected message of ``chain_id`` again; None when there is no such message."""
    async with conn.transaction():
        row = await conn.fetchrow(
            "SELECT lab_code, body, status, received_at FROM lab_messages "
            "WHERE lab_message_id = $1 AND chain_id = $2 FOR UPDATE",
            lab_message_id,
            chain_id,
        )
        if row is None:
            return None
        if row["status"] != "rejected":
            raise NotReplayable(
                f"only rejected messages can be replayed; this one is {row['status']}"
            )
        sender = await lab_by_code(conn, row["lab_code"])
        message = read(row["body"])
        await conn.execute(
            "UPDATE lab_messages SET attempts = attempts + 1 WHERE lab_message_id = $1",
            lab_message_id,
        )
        decision = await _apply(
            conn,
            lab_message_id,
            sender,
            row["lab_code"],
            message,
            "replayed",
            now,
            window,
            row["received_at"],  # the lab's clock is judged against when it sent, not now
        )
        return await _record(conn, lab_message_id, decision, now)


async def _apply(
    conn: Connection,
    lab_message_id: UUID,
    sender: Lab | None,
    sender_code: str,
    message: LabMessage | Unreadable,
    applied: Status,
    now: datetime,
    window: LabTimeWindow,
    received_at: datetime,
) -> _Decision:
    if sender is None:
        return _Decision("rejected", f"lab {sender_code!r} is not registered")
    if isinstance(message, Unreadable):
        return _Decision("rejected", message.reason)
    if (out_of_window := window.refusal(message.occurred_at, received_at)) is not None:
        return _Decision("rejected", out_of_window)
    if message.lab_code is not None and message.lab_code != sender.code:
        return _Decision(
            "rejected",
            f"lab_code: {message.lab_code!r} differs from the sending lab {sender.code!r}",
        )
    order = await conn.fetchrow(
        "SELECT order_id, lab_code FROM orders WHERE chain_id = $1 AND number = $2",
        sender.chain_id,
        message.order_number,
    )
    if order is None:
        return _Decision(
            "rejected", f"order_number: no order {message.order_number} in this lab's chain"
        )
    order_id: UUID = order["order_id"]
    if order["lab_code"] is not None and order["lab_code"] != sender.code:
        return _Decision(
            "rejected",
            f"order_number: order {message.order_number} is with another lab",
            order_id,
        )
    newest = await conn.fetchval(
        """
        INSERT INTO lab_order_progress (order_id, lab_code, latest_occurred_at, lab_message_id)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (order_id, lab_code) DO UPDATE SET
            latest_occurred_at = EXCLUDED.latest_occurred_at,
            lab_message_id = EXCLUDED.lab_message_id
        WHERE lab_order_progress.latest_occurred_at <= EXCLUDED.latest_occurred_at
        RETURNING true
        """,
        order_id,
        sender.code,
        message.occurred_at,
        lab_message_id,
    )
    if not newest:
        return _Decision(
            "stale",
            "occurred_at: older than the lab status this order already shows",
            order_id,
            message.occurred_at,
        )
    await conn.execute(
        """
        UPDATE orders SET lab_order_number = coalesce($2, lab_order_number),
            lab_code = coalesce(lab_code, $3)
        WHERE order_id = $1
        """,
        order_id,
        message.lab_order_number,
        sender.code,
    )
    order_seq = await next_event_seq(conn, order_id)
    await outbox.enqueue(conn, _event(sender, message, order_id, now, order_seq))
    return _Decision(applied, None, order_id, message.occurred_at)


def _event(
    sender: Lab, message: LabMessage, order_id: UUID, now: datetime, order_seq: int
) -> LabStatus:
    return LabStatus(
        occurred_at=now,
        correlation_id=current_correlation_id(),
        chain_id=sender.chain_id,
        order_id=order_id,
        order_number=message.order_number,
        lab_code=sender.code,
        lab_order_number=message.lab_order_number,
        status=message.status,
        status_raw=message.status_raw,
        eta=message.eta,
        reported_at=message.occurred_at,
        raw_message_id=message.message_id,
        note=message.note,
        order_seq=order_seq,
    )


async def _record(
    conn: Connection, lab_message_id: UUID, decision: _Decision, now: datetime
) -> Outcome:
    await conn.execute(
        """
        UPDATE lab_messages SET status = $2, reason = $3, order_id = $4, occurred_at = $5,
            last_attempt_at = $6
        WHERE lab_message_id = $1
        """,
        lab_message_id,
        decision.status,
        decision.reason,
        decision.order_id,
        decision.occurred_at,
        now,
    )
    MESSAGES_HANDLED.labels(consumer=LAB_CONSUMER, outcome=decision.status).inc()
    if decision.status == "rejected":
        log.warning(
            "lab_message_rejected", lab_message_id=str(lab_message_id), reason=decision.reason
        )
    else:
        log.info("lab_message_" + decision.status, lab_message_id=str(lab_message_id))
    return Outcome(lab_message_id, decision.status, decision.reason, decision.order_id)


_MESSAGE_COLUMNS = (
    "m.lab_message_id, m.received_at, m.via, m.routing_key, m.lab_code, m.message_id, m.body, "
    "m.status, m.reason, m.order_id, m.occurred_at, m.attempts, m.last_attempt_at"
)
# A chain's messages; with a branch list, those about its orders and those matching no order.
_VISIBLE = """
    FROM lab_messages m LEFT JOIN orders o ON o.order_id = m.order_id
    WHERE m.chain_id = $1 AND ($2::uuid[] IS NULL OR m.order_id IS NULL OR o.branch_id = ANY($2))
"""


async def list_messages(
    conn: Connection,
    chain_id: UUID,
    branches: frozenset[UUID] | None,
    status: Status | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""
        SELECT {_MESSAGE_COLUMNS} {_VISIBLE} AND ($3::text IS NULL OR m.status = $3)
        ORDER BY m.received_at DESC, m.lab_message_id LIMIT $4 OFFSET $5
        """,
        chain_id,
        None if branches is None else list(branches),
        status,
        limit + 1,
        offset,
    )
    return [dict(r) for r in rows]


async def list_lab_messages(
    conn: Connection, lab: Lab, status: Status | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    """What one lab sent (by its routing key or its API key), newest first: its feedback."""
    rows = await conn.fetch(
        f"""
        SELECT {_MESSAGE_COLUMNS} FROM lab_messages m
        WHERE m.chain_id = $1 AND m.lab_code = $2 AND ($3::text IS NULL OR m.status = $3)
        ORDER BY m.received_at DESC, m.lab_message_id LIMIT $4 OFFSET $5
        """,
        lab.chain_id,
        lab.code,
        status,
        limit + 1,
        offset,
    )
    return [dict(r) for r in rows]


async def get_message(
    conn: Connection, chain_id: UUID, branches: frozenset[UUID] | None, lab_message_id: UUID
) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"SELECT {_MESSAGE_COLUMNS} {_VISIBLE} AND m.lab_message_id = $3",
        chain_id,
        None if branches is None else list(branches),
        lab_message_id,
    )
    return dict(row) if row else None
