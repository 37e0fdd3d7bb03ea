"""A remake or warranty order, opened by workflow on reopen (``order.remake_opened.v1``),
registered in intake (``intake.domain.remakes``), inside the consumer's transaction."""

from __future__ import annotations

from etapa_contracts.events import RemakeOpened
from intake.usecases.ports import Stores
from shared.logging import get_logger

log = get_logger(__name__)


async def on_remake_opened(stores: Stores, event: RemakeOpened) -> None:
    registered = await stores.remakes.register(
        order_id=event.order_id,
        number=event.order_number,
        opened_at=event.opened_at,
        reopened_from=event.reopened_from,
        chain_id=event.chain_id,
    )
    if not registered and not await stores.orders.exists(event.order_id):
        log.warning(
            "remake_of_unknown_order",
            order_id=str(event.order_id),
            reopened_from=str(event.reopened_from),
        )
