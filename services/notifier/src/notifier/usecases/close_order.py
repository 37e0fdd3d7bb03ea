"""``order.closed``: note it; a message still held for the order will not go out."""

from __future__ import annotations

from etapa_contracts.events import OrderClosed
from notifier.usecases.ports import Stores
from notifier.usecases.tenancy import log_if_other_chain


async def close_order(stores: Stores, event: OrderClosed) -> None:
    await stores.progress.note_closed(
        event.chain_id, event.order_id, event.closed_at, event.outcome
    )
    owner = await stores.progress.order_chain(event.order_id)
    log_if_other_chain("order_progress", event.order_id, owner, event.chain_id)
