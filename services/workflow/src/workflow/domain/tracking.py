"""What a customer sees of their order on the status page (``/a/<token>``): pure rules.

Rules:

- **Status.** An order in its flow's last stage is ``ready`` (pronto para retirada); in any
  other stage, paused or not, ``open``; then ``delivered`` or ``cancelled``. A delivered or
  cancelled order's link answers for ``days_after_close`` days after it closed; after that the
  view is ``None`` and the link answers exactly like an unknown one.
- **Stages.** Only the stages ``visible_to_customer``, under their customer name. A visible
  stage before the order's stage is ``done``, the order's own stage ``current``, later ones
  ``upcoming``. When the order sits in a hidden stage, the last visible stage before it is the
  ``current`` one (the customer's step is still under way); with none before it, the first
  visible stage is. A delivered order has every stage done; a cancelled one keeps what was done
  and has no current stage.
- **Forecast.** For an open or ready order: the day (in the branch's time zone) of the
  projected completion, or the lab's forecast when that is later; none once closed.

No I/O, no clock: the caller passes ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from workflow.domain.flow import Stage
from workflow.domain.order_state import State


class CustomerStatus(StrEnum):
    OPEN = "open"
    READY = "ready"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class StageProgress(StrEnum):
    DONE = "done"
    CURRENT = "current"
    UPCOMING = "upcoming"


@dataclass(frozen=True, slots=True)
class TrackedOrder:
    """The order's facts the customer view is built from."""

    status: State
    stage_position: int
    stages: tuple[Stage, ...]
    timezone: str
    projected_completion_at: datetime | None
    lab_eta: date | None
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class StageView:
    name: str
    progress: StageProgress


@dataclass(frozen=True, slots=True)
class CustomerView:
    status: CustomerStatus
    stages: tuple[StageView, ...]
    current_stage: str | None
    forecast_date: date | None
    link_expires_at: datetime | None
    """When the link of a closed order stops answering; ``None`` while the order is open."""


def customer_view(order: TrackedOrder, now: datetime, days_after_close: int) -> CustomerView | None:
    """The customer's view of ``order``, or ``None`` when its link has expired."""
    expires_at: datetime | None = None
    if order.status in (State.DELIVERED, State.CANCELLED):
        closed_at = order.closed_at or now
        expires_at = closed_at + timedelta(days=days_after_close)
        if now >= expires_at:
            return None
    status = _status(order)
    stages = _stages(order, status)
    current = next((s.name for s in stages if s.progress is StageProgress.CURRENT), None)
    return CustomerView(
        status=status,
        stages=stages,
        current_stage=current,
        forecast_date=_forecast(order)
        if status in (CustomerStatus.OPEN, CustomerStatus.READY)
        else None,
        link_expires_at=expires_at,
    )


def _status(order: TrackedOrder) -> CustomerStatus:
    if order.status is State.DELIVERED:
        return CustomerStatus.DELIVERED
    if order.status is State.CANCELLED:
        return CustomerStatus.CANCELLED
    if order.stage_position >= len(order.stages) - 1:
        return CustomerStatus.READY
    return CustomerStatus.OPEN


def _stages(order: TrackedOrder, status: CustomerStatus) -> tuple[StageView, ...]:
    visible = [(pos, stage) for pos, stage in enumerate(order.stages) if stage.visible_to_customer]
    if status is CustomerStatus.DELIVERED:
        return tuple(StageView(s.customer_label, StageProgress.DONE) for _, s in visible)
    if status is CustomerStatus.CANCELLED:
        return tuple(
            StageView(
                s.customer_label,
                StageProgress.DONE if pos < order.stage_position else StageProgress.UPCOMING,
            )
            for pos, s in visible
        )
    at_or_before = [pos for pos, _ in visible if pos <= order.stage_position]
    current = at_or_before[-1] if at_or_before else (visible[0][0] if visible else None)
    views = []
    for pos, stage in visible:
        if pos == current:
            progress = StageProgress.CURRENT
        elif current is not None and pos < current:
            progress = StageProgress.DONE
        else:
            progress = StageProgress.UPCOMING
        views.append(StageView(stage.customer_label, progress))
    return tuple(views)


def _forecast(order: TrackedOrder) -> date | None:
    projected = (
        order.projected_completion_at.astimezone(ZoneInfo(order.timezone)).date()
        if order.projected_completion_at is not None
        else None
    )
    candidates = [day for day in (projected, order.lab_eta) if day is not None]
    return max(candidates) if candidates else None
