"""The customer's view of an order (status, visible stages, forecast, expiry) and the miss limit."""

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.domain.calendar import DayCounting
from workflow.domain.flow import Stage
from workflow.domain.order_state import State
from workflow.domain.tracking import (
    CustomerStatus,
    StageProgress,
    TrackedOrder,
    customer_view,
)
from workflow.entrypoints.http.tracking import MissLimiter
from workflow.usecases.order_engine import new_tracking_token

SP = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=SP)
B = DayCounting.BUSINESS
STAGES = (
    Stage("recebido", "Conferência da receita", 1, B, customer_name="Pedido recebido"),
    Stage("envio", "Envio ao laboratório", 1, B, visible_to_customer=False),
    Stage("producao", "Produção", 5, B),
    Stage("qualidade", "Controle de qualidade", 1, B, visible_to_customer=False),
    Stage("pronto", "Pronto para retirada", 0, B),
)
ORDER = TrackedOrder(
    status=State.IN_PROGRESS,
    stage_position=0,
    stages=STAGES,
    timezone="America/Sao_Paulo",
    projected_completion_at=datetime(2026, 3, 11, 18, 0, tzinfo=SP),
    lab_eta=None,
    closed_at=None,
)
D, C, U = StageProgress.DONE, StageProgress.CURRENT, StageProgress.UPCOMING


def progress(order: TrackedOrder) -> list[tuple[str, StageProgress]]:
    view = customer_view(order, NOW, 30)
    assert view is not None
    return [(stage.name, stage.progress) for stage in view.stages]


@pytest.mark.parametrize(
    ("status", "position", "expected_status", "expected"),
    [
        (State.IN_PROGRESS, 0, CustomerStatus.OPEN, [C, U, U]),
        # in a hidden stage: the visible step before it is still the customer's current one
        (State.IN_PROGRESS, 1, CustomerStatus.OPEN, [C, U, U]),
        (State.PAUSED, 2, CustomerStatus.OPEN, [D, C, U]),
        (State.IN_PROGRESS, 3, CustomerStatus.OPEN, [D, C, U]),
        (State.IN_PROGRESS, 4, CustomerStatus.READY, [D, D, C]),
        (State.DELIVERED, 4, CustomerStatus.DELIVERED, [D, D, D]),
        (State.CANCELLED, 2, CustomerStatus.CANCELLED, [D, U, U]),
    ],
)
def test_status_and_visible_stages_under_customer_names(
    status: State, position: int, expected_status: CustomerStatus, expected: list[StageProgress]
) -> None:
    order = replace(ORDER, status=status, stage_position=position, closed_at=NOW)
    view = customer_view(order, NOW, 30)
    assert view is not None
    assert view.status is expected_status
    assert progress(order) == list(
        zip(["Pedido recebido", "Produção", "Pronto para retirada"], expected, strict=True)
    )


def test_a_hidden_first_stage_shows_the_first_visible_one_as_current() -> None:
    stages = (replace(STAGES[1]), *STAGES[2:])
    order = replace(ORDER, stages=stages, stage_position=0)
    assert progress(order) == [("Produção", C), ("Pronto para retirada", U)]


def test_the_forecast_is_the_projected_day_or_the_later_lab_forecast() -> None:
    view = customer_view(ORDER, NOW, 30)
    assert view is not None
    assert view.forecast_date == date(2026, 3, 11)
    later = customer_view(replace(ORDER, lab_eta=date(2026, 3, 13)), NOW, 30)
    assert later is not None
    assert later.forecast_date == date(2026, 3, 13)
    earlier = customer_view(replace(ORDER, lab_eta=date(2026, 3, 5)), NOW, 30)
    assert earlier is not None
    assert earlier.forecast_date == date(2026, 3, 11)
    # 23:30 UTC is still the same day in São Paulo: the branch's day counts
    late = datetime(2026, 3, 12, 1, 30, tzinfo=ZoneInfo("UTC"))
    local = customer_view(replace(ORDER, projected_completion_at=late), NOW, 30)
    assert local is not None
    assert local.forecast_date == date(2026, 3, 11)


def test_a_closed_order_answers_until_its_window_ends_then_never() -> None:
    closed = replace(ORDER, status=State.DELIVERED, stage_position=4, closed_at=NOW)
    view = customer_view(closed, NOW + timedelta(days=29, hours=23), 30)
    assert view is not None
    assert (view.status, view.forecast_date) == (CustomerStatus.DELIVERED, None)
    assert view.link_expires_at == NOW + timedelta(days=30)
    assert customer_view(closed, NOW + timedelta(days=30), 30) is None
    assert customer_view(closed, NOW, 0) is None
    assert customer_view(ORDER, NOW + timedelta(days=400), 30) is not None  # open: no expiry


@given(st.integers(min_value=0, max_value=4), st.sampled_from(list(State)))
def test_at_most_one_current_stage_and_done_before_upcoming(position: int, status: State) -> None:
    order = replace(ORDER, status=status, stage_position=position, closed_at=NOW)
    kinds = [p for _, p in progress(order)]
    assert kinds.count(C) <= 1
    assert kinds == sorted(kinds, key=[D, C, U].index)


def test_tokens_are_random_short_and_url_safe() -> None:
    tokens = {new_tracking_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(len(t) == 11 and t.replace("-", "").replace("_", "").isalnum() for t in tokens)


def test_the_miss_limiter_blocks_an_address_for_the_rest_of_its_window() -> None:
    limiter = MissLimiter(limit=3, window=timedelta(minutes=10))
    for _ in range(3):
        assert not limiter.blocked("1.2.3.4", NOW)
        limiter.miss("1.2.3.4", NOW)
    assert limiter.blocked("1.2.3.4", NOW + timedelta(minutes=9))
    assert not limiter.blocked("5.6.7.8", NOW)
    assert not limiter.blocked("1.2.3.4", NOW + timedelta(minutes=10))
    limiter.miss("1.2.3.4", NOW + timedelta(minutes=10))
    assert not limiter.blocked("1.2.3.4", NOW + timedelta(minutes=10))
