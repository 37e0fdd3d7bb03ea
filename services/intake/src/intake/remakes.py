"""Remake and warranty orders: workflow opens them when an order is reopened; intake learns them.

The first stage entry of a reopened order (``order.stage_changed.v1`` with ``reopened_from``
and entry sequence 1) registers it here as a copy of the original's registration under its new
id and number (``SP01-000123-R1``), so staff actions and lab messages can name it.
"""

from __future__ import annotations

from shared.database import Connection
from shared.events import OrderStageChanged
from shared.logging import get_logger

log = get_logger(__name__)


async def on_stage_changed(conn: Connection, event: OrderStageChanged) -> None:
    if event.reopened_from is None or event.entry_sequence != 1:
        return
    registered = await conn.fetchval(
        """
        INSERT INTO orders (order_id, chain_id, branch_id, seq, number, service_type,
            customer_name, customer_phone, sms_consent, items, promised_date, lab_code, notes,
            external_reference, opened_at, reopened_from)
        SELECT $1, chain_id, branch_id, seq, $2, service_type, customer_name, customer_phone,
            sms_consent, items, NULL, lab_code, notes, external_reference, $3, order_id
        FROM orders WHERE order_id = $4 AND chain_id = $5
        ON CONFLICT (order_id) DO NOTHING
        RETURNING true
        """,
        event.order_id,
        event.order_number,
        event.entered_at,
        event.reopened_from,
        event.chain_id,
    )
    if registered is None and not await conn.fetchval(
        "SELECT 1 FROM orders WHERE order_id = $1", event.order_id
    ):
        log.warning(
            "remake_of_unknown_order",
            order_id=str(event.order_id),
            reopened_from=str(event.reopened_from),
        )
