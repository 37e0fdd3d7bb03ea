"""``order.stage_changed``: note the order's latest stage entry; record the stage's message.

Recording and sending are apart: this only writes the message, keyed by (order, stage entry
sequence), in the consumer's inbox transaction; the dispatcher sends it. A replayed stage change
finds the key taken and records nothing, so a customer never gets the same stage twice.

**Once per stage and order.** When an order comes back to a stage (back, then advance) whose
message this order already sent (``pending``, ``sending``, ``sent`` or ``delivered`` — on its
way or gone), the new entry's message is recorded ``suppressed`` with the reason and published
as such, unless the stage says ``sms_on_reentry``. A message still ``held`` for the night does
not count: the stale-news rule drops it at the opening, and the newest entry's goes out.

A remake (warranty) order has the customer of the order it reopens, in the same chain.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from etapa_contracts.events import OrderStageChanged
from notifier.usecases.ports import Stores
from notifier.usecases.records import NewMessage
from notifier.usecases.status_events import status_event
from shared.logging import get_logger

log = get_logger(__name__)


async def record_notification(
    stores: Stores,
    event: OrderStageChanged,
    new_id: Callable[[], UUID],
    *,
    trace_context: dict[str, str] | None = None,
) -> bool:
    """Whether a message to send was recorded (not one suppressed, not a stage without SMS).

    ``trace_context``: the stage change's trace (W3C headers), kept for the send."""
    await stores.progress.note_entry(event.chain_id, event.order_id, event.entry_sequence)
    if event.reopened_from is not None:
        await stores.consent.copy_contact(
            event.reopened_from,
            event.chain_id,
            event.order_id,
            event.order_number,
            event.occurred_at,
        )
    if event.sms_template is None:
        return False
    reason = None if event.sms_on_reentry else await _already_sent(stores, event)
    message = NewMessage(
        notification_id=new_id(),
        chain_id=event.chain_id,
        order_id=event.order_id,
        branch_id=event.branch_id,
        order_number=event.order_number,
        entry_sequence=event.entry_sequence,
        stage_key=event.to_stage.key,
        stage_name=event.to_stage.name,
        customer_stage_name=event.to_stage.customer_name,
        template=event.sms_template,
        promised_date=event.promised_date,
        forecast_date=event.projected_completion_at.date(),
        next_attempt_at=event.entered_at,
        tracking_token=event.tracking_token,
        suppressed_reason=reason,
        correlation_id=event.correlation_id,
        trace_context=trace_context,
    )
    added = await stores.messages.add(message)
    if added and reason is not None:
        await stores.outbox.enqueue(
            status_event(message.key, "suppressed", reason, event.occurred_at)
        )
        log.info(
            "sms_suppressed_on_reentry",
            order_id=str(event.order_id),
            order_number=event.order_number,
            stage=event.to_stage.key,
        )
        return False
    if added:
        log.info(
            "sms_recorded",
            order_id=str(event.order_id),
            order_number=event.order_number,
            stage=event.to_stage.key,
        )
    return added


async def _already_sent(stores: Stores, event: OrderStageChanged) -> str | None:
    """Why this entry's message is not sent: an earlier entry of the stage already was."""
    earlier = await stores.messages.first_entry_on_its_way(
        event.order_id, event.to_stage.key, event.entry_sequence
    )
    if earlier is None:
        return None
    return (
        f"o cliente já recebeu a mensagem da etapa “{event.to_stage.name}” nesta OS; "
        "a etapa não reenvia ao voltar a ela"
    )
