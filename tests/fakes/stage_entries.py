"""What the notifier consumes for one order: its opening and its first stage entry."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from etapa_contracts.events import (
    BranchSnapshot,
    CustomerSummary,
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
