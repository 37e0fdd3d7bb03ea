"""The events the order engine publishes, built from a stored order and a decision."""

from __future__ import annotations

from datetime import datetime

from etapa_contracts.events import OrderClosed, OrderStageChanged, StageRef
from workflow.domain.order_actions import StageEntered
from workflow.domain.order_state import OrderState, State
from workflow.domain.records import StoredOrder


def stage_changed_event(
    order: StoredOrder, entered: StageEntered, state: OrderState, correlation_id: str
) -> OrderStageChanged:
    from_stage, from_position = entered.from_stage, entered.from_position
    return OrderStageChanged(
        occurred_at=entered.entered_at,
        correlation_id=correlation_id,
        chain_id=order.chain_id,
        order_id=order.order_id,
        order_number=order.number,
        branch_id=order.branch_id,
        from_stage=(
            StageRef(key=from_stage.key, name=from_stage.name, position=from_position)
            if from_stage and from_position is not None
            else None
        ),
        to_stage=StageRef(
            key=entered.to_stage.key,
            name=entered.to_stage.name,
            position=entered.to_position,
            customer_name=entered.to_stage.customer_name,
        ),
        entry_sequence=entered.entry_sequence,
        entered_at=entered.entered_at,
        due_at=entered.deadline.due_at,
        projected_completion_at=entered.projected_completion_at,
        promised_date=state.promised_date,
        sms_template=entered.to_stage.sms_template,
        sms_on_reentry=entered.to_stage.sms_on_reentry,
        reopened_from=order.reopened_from,
        tracking_token=order.tracking_token,
    )


def closed_event(
    order: StoredOrder, state: OrderState, now: datetime, correlation_id: str
) -> OrderClosed:
    return OrderClosed(
        occurred_at=now,
        correlation_id=correlation_id,
        chain_id=order.chain_id,
        branch_id=order.branch_id,
        order_id=order.order_id,
        outcome="delivered" if state.status is State.DELIVERED else "cancelled",
        closed_at=now,
    )
