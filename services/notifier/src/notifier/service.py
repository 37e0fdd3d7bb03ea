"""Notifier's message handlers: keep contacts, branches and order progress; record messages.

Recording and sending are apart: a handler only writes the message, keyed by (order, stage
entry sequence), in its inbox transaction; the dispatcher sends it. A replayed stage change
finds the key taken and records nothing, so a customer never gets the same stage twice.

**Once per stage and order.** When an order comes back to a stage (back, then advance) whose
message this order already sent (``pending``, ``sending``, ``sent`` or ``delivered`` — on its
way or gone), the new entry's message is recorded ``suppressed`` with the reason and published
as such, unless the stage says ``sms_on_reentry``. A message still ``held`` for the night does
not count: the stale-news rule drops it at the opening, and the newest entry's goes out.

Tenancy: a row once written for one chain is never changed by an event of another chain
(the update is guarded by ``chain_id``, and the mismatch is logged).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from notifier.dispatch import status_event
from shared import outbox
from shared.database import Connection
from shared.events import (
    BranchSnapshot,
    BranchUpserted,
    OrderClosed,
    OrderOpened,
    OrderStageChanged,
)
from shared.logging import get_logger

log = get_logger(__name__)


class NotifierHandlers:
    async def on_order_opened(self, conn: Connection, event: OrderOpened) -> None:
        """Keep the customer's contact and consent (the notifier's own copy)."""
        await conn.execute(
            """
            INSERT INTO contacts (order_id, chain_id, branch_id, order_number, customer_name,
                phone, sms_consent, branch_name, branch_phone, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (order_id) DO UPDATE SET
                customer_name = EXCLUDED.customer_name, phone = EXCLUDED.phone,
                sms_consent = EXCLUDED.sms_consent, updated_at = EXCLUDED.updated_at
            WHERE contacts.updated_at < EXCLUDED.updated_at
              AND contacts.chain_id = EXCLUDED.chain_id
            """,
            event.order_id,
            event.chain_id,
            event.branch.branch_id,
            event.order_number,
            event.customer.name,
            event.customer.phone,
            event.customer.sms_consent,
            event.branch.name,
            event.branch.phone,
            event.occurred_at,
        )
        await _log_if_other_chain(conn, "contacts", "order_id", event.order_id, event)
        await _ensure_branch(conn, event.chain_id, event.branch, event.occurred_at)
        await _touch_progress(conn, event.chain_id, event.order_id)

    async def on_stage_changed(self, conn: Connection, event: OrderStageChanged) -> None:
        """Note the order's latest stage entry; record the stage's message, once per entry."""
        await _touch_progress(conn, event.chain_id, event.order_id, event.entry_sequence)
        if event.reopened_from is not None:
            await _copy_contact_to_remake(conn, event)
        if event.sms_template is None:
            return
        reason = None if event.sms_on_reentry else await _already_sent(conn, event)
        notification_id = uuid4()
        row = await conn.fetchrow(
            """
            INSERT INTO messages (notification_id, chain_id, order_id, branch_id, order_number,
                entry_sequence, stage_key, stage_name, template, promised_date, forecast_date,
                next_attempt_at, status, status_reason, tracking_token, customer_stage_name)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
                    CASE WHEN $13::text IS NULL THEN 'pending' ELSE 'suppressed' END, $13,
                    $14, $15)
            ON CONFLICT (order_id, entry_sequence) DO NOTHING
            RETURNING notification_id, chain_id, branch_id, order_id, entry_sequence
            """,
            notification_id,
            event.chain_id,
            event.order_id,
            event.branch_id,
            event.order_number,
            event.entry_sequence,
            event.to_stage.key,
            event.to_stage.name,
            event.sms_template,
            event.promised_date,
            event.projected_completion_at.date(),
            event.entered_at,
            reason,
            event.tracking_token,
            event.to_stage.customer_name,
        )
        if row is not None and reason is not None:
            await outbox.enqueue(
                conn, status_event(dict(row), "suppressed", reason, event.occurred_at)
            )
            log.info("sms_suppressed_on_reentry", order_id=str(event.order_id))

    async def on_branch_upserted(self, conn: Connection, event: BranchUpserted) -> None:
        """Keep the notifier's copy of a branch: time zone, state and sending window."""
        window = event.sending_window
        updated = await conn.fetchval(
            """
            INSERT INTO branches (branch_id, chain_id, name, state, city, timezone,
                window_starts_at, window_ends_at, window_weekdays, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (branch_id) DO UPDATE SET
                name = EXCLUDED.name, state = EXCLUDED.state, city = EXCLUDED.city,
                timezone = EXCLUDED.timezone, window_starts_at = EXCLUDED.window_starts_at,
                window_ends_at = EXCLUDED.window_ends_at,
                window_weekdays = EXCLUDED.window_weekdays, updated_at = EXCLUDED.updated_at
            WHERE branches.chain_id = EXCLUDED.chain_id
                AND branches.updated_at <= EXCLUDED.updated_at
            RETURNING true
            """,
            event.branch.branch_id,
            event.chain_id,
            event.branch.name,
            event.branch.state,
            event.branch.city,
            event.branch.timezone,
            window.starts_at,
            window.ends_at,
            list(window.weekdays),
            event.occurred_at,
        )
        if not updated:
            await _log_if_other_chain(conn, "branches", "branch_id", event.branch.branch_id, event)

    async def on_order_closed(self, conn: Connection, event: OrderClosed) -> None:
        """Note that the order closed: a message still held for it will not go out."""
        await conn.execute(
            """
            INSERT INTO order_progress (order_id, chain_id, closed_at, outcome)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (order_id) DO UPDATE SET
                closed_at = EXCLUDED.closed_at, outcome = EXCLUDED.outcome
            WHERE order_progress.chain_id = EXCLUDED.chain_id
            """,
            event.order_id,
            event.chain_id,
            event.closed_at,
            event.outcome,
        )
        await _log_if_other_chain(conn, "order_progress", "order_id", event.order_id, event)


async def _already_sent(conn: Connection, event: OrderStageChanged) -> str | None:
    """Why this entry's message is not sent: an earlier entry of the stage already was."""
    earlier = await conn.fetchval(
        """
        SELECT entry_sequence FROM messages
        WHERE order_id = $1 AND stage_key = $2 AND entry_sequence < $3
          AND status IN ('pending', 'sending', 'sent', 'delivered')
        ORDER BY entry_sequence LIMIT 1
        """,
        event.order_id,
        event.to_stage.key,
        event.entry_sequence,
    )
    if earlier is None:
        return None
    return (
        f"o cliente já recebeu a mensagem da etapa “{event.to_stage.name}” nesta OS; "
        "a etapa não reenvia ao voltar a ela"
    )


async def _copy_contact_to_remake(conn: Connection, event: OrderStageChanged) -> None:
    """A remake (warranty) order has the customer of the order it reopens, in the same chain."""
    await conn.execute(
        """
        INSERT INTO contacts (order_id, chain_id, branch_id, order_number, customer_name, phone,
            sms_consent, branch_name, branch_phone, updated_at)
        SELECT $1, chain_id, branch_id, $2, customer_name, phone, sms_consent, branch_name,
            branch_phone, $3
        FROM contacts WHERE order_id = $4 AND chain_id = $5
        ON CONFLICT (order_id) DO NOTHING
        """,
        event.order_id,
        event.order_number,
        event.occurred_at,
        event.reopened_from,
        event.chain_id,
    )


async def _ensure_branch(
    conn: Connection, chain_id: UUID, branch: BranchSnapshot, at: datetime
) -> None:
    """A branch first seen in an order gets the default window until branch.upserted says more."""
    await conn.execute(
        """
        INSERT INTO branches (branch_id, chain_id, name, state, city, timezone, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz - interval '100 years')
        ON CONFLICT (branch_id) DO NOTHING
        """,
        branch.branch_id,
        chain_id,
        branch.name,
        branch.state,
        branch.city,
        branch.timezone,
        at,
    )


async def _touch_progress(
    conn: Connection, chain_id: UUID, order_id: UUID, entry_sequence: int = 0
) -> None:
    await conn.execute(
        """
        INSERT INTO order_progress (order_id, chain_id, latest_entry_sequence) VALUES ($1, $2, $3)
        ON CONFLICT (order_id) DO UPDATE SET latest_entry_sequence =
            greatest(order_progress.latest_entry_sequence, EXCLUDED.latest_entry_sequence)
        WHERE order_progress.chain_id = EXCLUDED.chain_id
        """,
        order_id,
        chain_id,
        entry_sequence,
    )


async def _log_if_other_chain(
    conn: Connection,
    table: str,
    key: str,
    value: UUID,
    event: BranchUpserted | OrderClosed | OrderOpened,
) -> None:
    owner = await conn.fetchval(f"SELECT chain_id FROM {table} WHERE {key} = $1", value)
    if owner is not None and owner != event.chain_id:
        log.error("event_for_another_chains_data_ignored", table=table, id=str(value))
