"""Notifier's message handlers: keep contacts, and record one message per stage entry.

Recording and sending are apart: a handler only writes the message, keyed by (order, stage
entry sequence), in its inbox transaction; the dispatcher sends it. A replayed stage change
finds the key taken and records nothing, so a customer never gets the same stage twice.
"""

from __future__ import annotations

from uuid import uuid4

from shared.database import Connection
from shared.events import OrderOpened, OrderStageChanged


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

    async def on_stage_changed(self, conn: Connection, event: OrderStageChanged) -> None:
        """Record the stage's message for sending, once per stage entry."""
        if event.sms_template is None:
            return
        await conn.execute(
            """
            INSERT INTO messages (notification_id, chain_id, order_id, branch_id, order_number,
                entry_sequence, stage_key, stage_name, template, promised_date, forecast_date)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            ON CONFLICT (order_id, entry_sequence) DO NOTHING
            """,
            uuid4(),
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
        )
