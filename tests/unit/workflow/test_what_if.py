"""What-if: replaying delivered orders under a draft flow, worked out by hand.

The calendar is São Paulo's time zone, Monday to Friday 09:00–18:00, no holidays. Monday
02/11/2026 is the first day of every example. The current flow is A (1 business day),
B (2 business days), C (1 business day); its quote from Monday 10:00 is: A due Tue 03 18:00,
B (counting starts the next day) Wed, Thu → Thu 05 18:00, C Fri 06 18:00: promised Fri 06/11.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.domain.calendar import BranchCalendar, DayCounting
from workflow.domain.deadlines import compute_deadline
from workflow.domain.flow import Stage
from workflow.domain.history import DeadlineMemo, HistoricalOrder, percentile
from workflow.domain.what_if import DraftStage, TimeSource, compare, replay

SP = ZoneInfo("America/Sao_Paulo")
B = DayCounting.BUSINESS
CALENDAR = BranchCalendar("America/Sao_Paulo", {})
A_STAGE = Stage("a", "Conferência", 1, B)
B_STAGE = Stage("b", "Produção", 2, B)
C_STAGE = Stage("c", "Montagem", 1, B)
CURRENT = (A_STAGE, B_STAGE, C_STAGE)
MONDAY_10 = datetime(2026, 11, 2, 10, 0, tzinfo=SP)


def order(number: str, hours: dict[str, float], promised: date | None = None) -> HistoricalOrder:
    seconds = {key: h * 3600 for key, h in hours.items()}
    return HistoricalOrder(
        order_id=f"id-{number}",
        number=number,
        branch="sp",
        flow_version=1,
        opened_at=MONDAY_10,
        delivered_at=MONDAY_10 + timedelta(seconds=sum(seconds.values())),
        promised_date=promised,
        stage_seconds=seconds,
    )


# Order 1: A 24 h, B 72 h, C 24 h → delivered Sat 07/11 10:00, after the promise (Fri 06): late.
SLOW = order("SP01-000001", {"a": 24, "b": 72, "c": 24}, promised=date(2026, 11, 6))
# Order 2: A 4 h, B 24 h, C 4 h → delivered Tue 03/11 18:00: on time.
FAST = order("SP01-000002", {"a": 4, "b": 24, "c": 4}, promised=date(2026, 11, 6))


def memos() -> dict[str, DeadlineMemo]:
    return {"sp": DeadlineMemo(CALENDAR)}


def test_replaying_an_order_under_its_own_flow_gives_back_its_real_delivery() -> None:
    replayed = replay(SLOW, [DraftStage(s) for s in CURRENT], DeadlineMemo(CALENDAR))

    assert replayed.delivered_at == datetime(2026, 11, 7, 10, 0, tzinfo=SP)
    assert replayed.promised_on == date(2026, 11, 6)
    assert not replayed.on_time
    assert replayed.real == (True, True, True)


def test_removing_the_slowest_stage_flips_the_late_order_and_shortens_lead_times() -> None:
    # Without B the promise is A (Tue 03 18:00) then C (Wed 04 18:00): Wed 04/11.
    # Order 1 is delivered Mon 10:00 + 24 h + 24 h = Wed 04 10:00: on time now.
    # Order 2 is delivered Mon 10:00 + 4 h + 4 h = Mon 02 18:00: still on time.
    result = compare([SLOW, FAST], CURRENT, [DraftStage(A_STAGE), DraftStage(C_STAGE)], memos())

    assert (result.current.on_time, result.current.on_time_rate) == (1, 0.5)
    assert (result.draft.on_time, result.draft.on_time_rate) == (2, 1.0)
    # Nearest rank over two orders: the median is the shorter, the p90 the longer.
    assert (result.current.median_lead_hours, result.current.p90_lead_hours) == (32.0, 120.0)
    assert (result.draft.median_lead_hours, result.draft.p90_lead_hours) == (8.0, 48.0)
    assert result.late_to_on_time == 1
    assert result.on_time_to_late == 0
    (flip,) = result.late_to_on_time_samples
    assert flip.number == "SP01-000001"
    assert (flip.current_promised_on, flip.current_delivered_on) == (
        date(2026, 11, 6),
        date(2026, 11, 7),
    )
    assert (flip.draft_promised_on, flip.draft_delivered_on) == (
        date(2026, 11, 4),
        date(2026, 11, 4),
    )
    assert result.recorded_on_time_rate == 0.5
    assert [s.key for s in result.draft.stages] == ["a", "c"]


def test_a_new_stage_takes_its_planned_time_from_when_the_replay_enters_it() -> None:
    # Order 2 with D (1 business day) between B and C: A 4 h → Mon 14:00, B 24 h → Tue 14:00,
    # D is due Wed 04 18:00 (counting starts Wednesday) → 28 h, C 4 h → Wed 22:00.
    # The promise: A Tue 03, B Thu 05, D Fri 06, C Mon 09 (the weekend skipped) 18:00.
    d_stage = Stage("d", "Controle", 1, B)
    draft = [DraftStage(A_STAGE), DraftStage(B_STAGE), DraftStage(d_stage), DraftStage(C_STAGE)]

    replayed = replay(FAST, draft, DeadlineMemo(CALENDAR))

    assert replayed.stage_seconds[2] == 28 * 3600
    assert replayed.real == (True, True, False, True)
    assert replayed.delivered_at == datetime(2026, 11, 4, 22, 0, tzinfo=SP)
    assert replayed.promised_on == date(2026, 11, 9)
    assert replayed.on_time


def test_a_new_stage_takes_the_time_the_owner_typed_when_there_is_one() -> None:
    d_stage = Stage("d", "Controle", 1, B)
    draft = [
        DraftStage(A_STAGE),
        DraftStage(B_STAGE),
        DraftStage(d_stage, 2.0),
        DraftStage(C_STAGE),
    ]

    replayed = replay(FAST, draft, DeadlineMemo(CALENDAR))

    # Mon 10:00 + 4 + 24 + 2 + 4 hours = Tue 03 20:00; the promise keeps D's planned days.
    assert replayed.delivered_at == datetime(2026, 11, 3, 20, 0, tzinfo=SP)
    assert replayed.promised_on == date(2026, 11, 9)
    result = compare([FAST], CURRENT, draft, memos())
    assert result.draft.stages[2].source is TimeSource.TYPED
    assert result.draft.stages[2].median_hours == 2.0


def test_fewer_planned_days_flip_an_on_time_order_to_late() -> None:
    # B with 1 planned day and C with 0: A is due Tue 03 18:00, B Wed 04 18:00 and C at that
    # same closing time: the draft promises Wed 04. Order 2 (Tue 03 18:00) stays on time.
    # Order 3 (A 24 h, B 48 h, C 4 h) is delivered Thu 05 14:00: on time against Fri 06, late
    # against Wed 04.
    third = order("SP01-000003", {"a": 24, "b": 48, "c": 4}, promised=date(2026, 11, 6))
    draft = [
        DraftStage(A_STAGE),
        DraftStage(Stage("b", "Produção", 1, B)),
        DraftStage(Stage("c", "Montagem", 0, B)),
    ]

    result = compare([FAST, third], CURRENT, draft, memos())

    assert result.on_time_to_late == 1
    assert result.late_to_on_time == 0
    (flip,) = result.on_time_to_late_samples
    assert (flip.number, flip.draft_promised_on) == ("SP01-000003", date(2026, 11, 4))
    assert flip.draft_delivered_on == date(2026, 11, 5)
    assert (result.current.on_time_rate, result.draft.on_time_rate) == (1.0, 0.5)
    # Real times are kept: the lead times do not change, only the promise does.
    assert result.current.median_lead_hours == result.draft.median_lead_hours == 32.0


def test_time_outside_every_stage_is_kept_and_a_stage_the_flow_lacks_is_dropped() -> None:
    old = HistoricalOrder(
        order_id="id-4",
        number="SP01-000004",
        branch="sp",
        flow_version=1,
        opened_at=MONDAY_10,
        delivered_at=MONDAY_10 + timedelta(hours=11),
        promised_date=None,
        stage_seconds={"a": 3600.0, "old": 7 * 3600.0, "c": 3600.0},
        outside_seconds=2 * 3600.0,
    )

    replayed = replay(old, [DraftStage(A_STAGE), DraftStage(C_STAGE)], DeadlineMemo(CALENDAR))

    assert replayed.delivered_at == MONDAY_10 + timedelta(hours=4)
    assert compare([old], CURRENT, [DraftStage(A_STAGE)], memos()).recorded_on_time_rate is None


def test_nearest_rank_percentiles() -> None:
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert percentile(values, 0.5) == 3.0
    assert percentile(values, 0.8) == 4.0
    assert percentile(values, 0.9) == 5.0
    assert percentile([], 0.5) is None


# --- properties ------------------------------------------------------------------------------

starts = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(SP)
)
hours = st.floats(min_value=0, max_value=400, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(starts, st.integers(0, 12), st.sampled_from(list(DayCounting)))
def test_the_memo_gives_exactly_the_deadline_engine_answer(
    start: datetime, days: int, counting: DayCounting
) -> None:
    memo = DeadlineMemo(CALENDAR)
    # Ask a neighbour first so a wrong key would be answered from the cache.
    memo.due_at(start.replace(hour=12, minute=0), days, counting.value)
    assert (
        memo.due_at(start, days, counting.value)
        == compute_deadline(start, days, counting, CALENDAR).due_at
    )


@settings(max_examples=200, deadline=None)
@given(starts, st.lists(hours, min_size=3, max_size=3), hours)
def test_a_draft_equal_to_the_current_flow_changes_nothing(
    opened: datetime, spent: list[float], outside: float
) -> None:
    seconds = {stage.key: h * 3600 for stage, h in zip(CURRENT, spent, strict=True)}
    history = HistoricalOrder(
        "id",
        "N1",
        "sp",
        1,
        opened,
        opened + timedelta(seconds=sum(seconds.values()) + outside * 3600),
        None,
        seconds,
        outside_seconds=outside * 3600,
    )

    result = compare([history], CURRENT, [DraftStage(s) for s in CURRENT], memos())

    assert result.current == result.draft
    assert result.late_to_on_time == result.on_time_to_late == 0
    assert result.current.median_lead_hours is not None
    assert abs(result.current.median_lead_hours * 3600 - history.lead_seconds) < 1e-3


@settings(max_examples=200, deadline=None)
@given(starts, st.lists(hours, min_size=3, max_size=3), st.permutations(CURRENT))
def test_reordering_stages_all_orders_went_through_keeps_the_delivery(
    opened: datetime, spent: list[float], order_of_stages: list[Stage]
) -> None:
    seconds = {stage.key: h * 3600 for stage, h in zip(CURRENT, spent, strict=True)}
    history = HistoricalOrder(
        "id",
        "N1",
        "sp",
        1,
        opened,
        opened + timedelta(seconds=sum(seconds.values())),
        None,
        seconds,
    )

    replayed = replay(history, [DraftStage(s) for s in order_of_stages], DeadlineMemo(CALENDAR))

    assert abs((replayed.delivered_at - history.delivered_at).total_seconds()) < 1e-3
