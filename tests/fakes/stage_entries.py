"""What the notifier consumes for one order: its opening and its first stage entry, and the
events published as intake and workflow publish them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import aio_pika

from etapa_contracts.events import (
    BranchSnapshot,
    CustomerSummary,
    Event,
    OrderOpened,
    OrderStageChanged,
    StageRef,
)


def first_stage_entry(
    chain_id: uuid.UUID, branch: BranchSnapshot, n: int, *, customer: str, template: str
) -> tuple[OrderOpened, OrderStageChanged]:
    """Order ``n`` of ``branch`` (phone ``+55119<n>``) opened and entering a stage with an SMS."""
    now = datetime.now(UTC)
    order_id = uuid.uuid4()
    number = f"{branch.code}-{n:06d}"
    base: dict[str, Any] = {"occurred_at": now, "correlation_id": f"n{n}", "chain_id": chain_id}
    opened = OrderOpened(
        **base,
        order_id=order_id,
        order_number=number,
        branch=branch,
        service_type="teste",
        customer=CustomerSummary(name=customer, phone=f"+55119{n:08d}", sms_consent=True),
        opened_at=now,
    )
    entered = OrderStageChanged(
        **base,
        order_id=order_id,
        order_number=number,
        branch_id=branch.branch_id,
        from_stage=None,
        to_stage=StageRef(key="recebido", name="Recebido", position=0),
        entry_sequence=1,
        entered_at=now,
        due_at=now,
        projected_completion_at=now,
        promised_date=None,
        sms_template=template,
    )
    return opened, entered


async def publish_all(exchange: aio_pika.abc.AbstractExchange, events: Sequence[Event]) -> None:
    """Publish ``events`` in order, as the services' relays do (JSON, the event's message id)."""
    for event in events:
        await exchange.publish(
            aio_pika.Message(
                json.dumps(event.model_dump(mode="json")).encode(),
                content_type="application/json",
                message_id=str(event.message_id),
            ),
            routing_key=event.routing_key(),
        )
