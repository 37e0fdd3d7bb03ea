"""A clock that stops in working time (workflow.domain.pauses): examples and laws."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.workflow.test_deadline_properties import calendars
from workflow.domain.calendar import BranchCalendar, DayCounting
from workflow.domain.deadlines import compute_deadline
from workflow.domain.pauses import closing_of, next_closing_after, pause_credit, shift_due

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
BRANCH = BranchCalendar(timezone="America/Sao_Paulo", closed_days={})
BUSINESS = DayCounting.BUSINESS


def at(day: str, clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=SAO_PAULO)


def resumed_due(due: datetime, paused: datetime, resumed: datetime) -> datetime:
    return shift_due(due, pause_credit(paused, resumed, BRANCH).business_days, BRANCH)


# --- the scenarios (São Paulo, Monday to Friday 09:00–18:00) -------------------------


def test_a_pause_from_wednesday_to_friday_gives_back_two_business_days() -> None:
    due = at("2026-03-06", "18:00")  # Friday

    credit = pause_credit(at("2026-03-04", "11:00"), at("2026-03-06", "11:00"), BRANCH, "armação")

    assert credit.business_days == 2
    assert shift_due(due, credit.business_days, BRANCH) == at("2026-03-10", "18:00")  # Tuesday
    assert credit.describe() == "+2 dias úteis pela pausa de 04/03 11:00 a 06/03 11:00 (armação)"


def test_a_pause_from_thursday_to_friday_morning_gives_back_one_business_day() -> None:
    due = at("2026-03-06", "18:00")

    assert resumed_due(due, at("2026-03-05", "10:00"), at("2026-03-06", "10:00")) == at(
        "2026-03-09", "18:00"
    )


@pytest.mark.parametrize(
    ("paused", "resumed"),
    [
        (at("2026-03-04", "19:00"), at("2026-03-05", "08:00")),  # a night
        (at("2026-03-06", "18:00"), at("2026-03-09", "08:59")),  # a weekend, from closing time
        (at("2026-03-07", "07:30"), at("2026-03-07", "12:00")),  # a Saturday
        (at("2026-03-04", "10:00"), at("2026-03-04", "17:59")),  # within one working day
    ],
)
def test_a_pause_that_takes_no_closing_time_moves_nothing(
    paused: datetime, resumed: datetime
) -> None:
    due = at("2026-03-06", "18:00")

    assert resumed_due(due, paused, resumed) == due


def test_a_resume_at_closing_time_takes_that_day() -> None:
    credit = pause_credit(at("2026-03-04", "10:00"), at("2026-03-04", "18:00"), BRANCH)

    assert credit.business_days == 1
    assert credit.describe() == "+1 dia útil pela pausa de 04/03 10:00 a 04/03 18:00"


def test_a_pause_that_took_nothing_says_so() -> None:
    credit = pause_credit(at("2026-03-04", "19:00"), at("2026-03-05", "08:00"), BRANCH, "almoço")

    assert credit.describe() == (
        "a pausa de 04/03 19:00 a 05/03 08:00 (almoço) não tomou nenhum dia útil; prazo mantido"
    )


def test_pause_times_in_another_zone_are_read_in_the_branchs_zone() -> None:
    paused = at("2026-03-04", "11:00").astimezone(ZoneInfo("UTC"))

    credit = pause_credit(paused, at("2026-03-06", "11:00"), BRANCH)

    assert credit.paused_at == at("2026-03-04", "11:00")
    assert credit.paused_at.tzinfo == SAO_PAULO


def test_the_next_closing_after_a_closing_time_is_the_next_business_days() -> None:
    assert next_closing_after(at("2026-03-06", "18:00"), BRANCH) == at("2026-03-09", "18:00")
    assert next_closing_after(at("2026-03-06", "17:59"), BRANCH) == at("2026-03-06", "18:00")


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        pause_credit(datetime(2026, 3, 4, 11), at("2026-03-06", "11:00"), BRANCH)


# --- laws, for any calendar -------------------------------------------------------------------

starts = st.datetimes(
    datetime(2017, 1, 1), datetime(2028, 12, 31), timezones=st.just(SAO_PAULO)
).filter(lambda moment: moment.fold == 0)
lengths = st.integers(0, 30)
minutes = st.integers(0, 24 * 60)


def _business_day_at_or_after(moment: datetime, calendar: BranchCalendar) -> datetime:
    index = calendar.day_index
    local = moment.astimezone(index.zone)
    return datetime.combine(index.business_days_from(local.toordinal(), 1)[0], time(0), index.zone)


@settings(max_examples=100, deadline=None)
@given(calendars(), starts, lengths, st.integers(1, 15), st.data())
def test_a_pause_of_k_whole_business_days_moves_the_due_by_exactly_k_business_days(
    calendar: BranchCalendar, start: datetime, planned: int, k: int, data: st.DataObject
) -> None:
    index = calendar.day_index
    due = compute_deadline(start, planned, BUSINESS, calendar).due_at
    first = _business_day_at_or_after(start, calendar).date()
    last = index.business_days_from(first.toordinal() + 1, k)[-1]
    latest = min(calendar.closes_on(first), calendar.closes_on(last))
    span = (latest.hour * 60 + latest.minute) - (
        calendar.opens_at.hour * 60 + calendar.opens_at.minute
    )
    offset = data.draw(st.integers(0, span - 1))
    clock = (datetime.combine(first, calendar.opens_at) + timedelta(minutes=offset)).time()
    paused = datetime.combine(first, clock, index.zone)
    resumed = datetime.combine(last, clock, index.zone)

    credit = pause_credit(paused, resumed, calendar)

    assert credit.business_days == k
    expected = compute_deadline(start, planned + k, BUSINESS, calendar).due_at if planned else None
    moved = shift_due(due, k, calendar)
    if expected is not None:
        assert moved == expected
    assert moved.date() == index.business_days_from(due.toordinal() + 1, k)[-1]


@settings(max_examples=100, deadline=None)
@given(calendars(), starts, lengths, st.data())
def test_a_pause_entirely_outside_working_hours_moves_nothing(
    calendar: BranchCalendar, start: datetime, planned: int, data: st.DataObject
) -> None:
    index = calendar.day_index
    due = compute_deadline(start, planned, BUSINESS, calendar).due_at
    day = _business_day_at_or_after(start, calendar).date()
    closed_from = closing_of(day, calendar)
    following = index.business_days_from(day.toordinal() + 1, 1)[0]
    opens_again = datetime.combine(following, calendar.opens_at, index.zone)
    room = int((opens_again - closed_from).total_seconds() // 60)
    a, b = sorted(data.draw(st.lists(st.integers(0, room), min_size=2, max_size=2)))
    paused, resumed = closed_from + timedelta(minutes=a), closed_from + timedelta(minutes=b)

    credit = pause_credit(paused, resumed, calendar)

    assert credit.business_days == 0
    assert shift_due(due, credit.business_days, calendar) == due


@settings(deadline=None)
@given(calendars(), starts, starts, lengths, st.sampled_from(list(DayCounting)))
def test_pausing_and_resuming_at_the_same_instant_is_the_identity(
    calendar: BranchCalendar, start: datetime, moment: datetime, planned: int, counting: DayCounting
) -> None:
    due = compute_deadline(start, planned, counting, calendar).due_at

    assert shift_due(due, pause_credit(moment, moment, calendar).business_days, calendar) == due


@settings(max_examples=100, deadline=None)
@given(calendars(), starts, lengths, st.sampled_from(list(DayCounting)), minutes, minutes, minutes)
def test_a_due_at_closing_time_stays_at_closing_time_and_later_resumes_never_move_it_earlier(
    calendar: BranchCalendar,
    start: datetime,
    planned: int,
    counting: DayCounting,
    pause_after: int,
    first: int,
    more: int,
) -> None:
    index = calendar.day_index
    due = compute_deadline(start, planned, counting, calendar).due_at
    paused = start + timedelta(minutes=pause_after * 7)
    early, late = (
        paused + timedelta(minutes=first * 5),
        paused + timedelta(minutes=(first + more) * 5),
    )

    moved_early = shift_due(due, pause_credit(paused, early, calendar).business_days, calendar)
    moved_late = shift_due(due, pause_credit(paused, late, calendar).business_days, calendar)

    assert moved_early <= moved_late
    for moved in (moved_early, moved_late):
        local = moved.astimezone(index.zone)
        assert index.is_business(local.toordinal())
        assert local.time() == calendar.closes_on(local.date())


@settings(max_examples=100, deadline=None)
@given(calendars(), starts, lengths, minutes, minutes)
def test_while_paused_the_due_as_of_now_is_always_after_now(
    calendar: BranchCalendar, start: datetime, planned: int, pause_after: int, wait: int
) -> None:
    due = compute_deadline(start, planned, BUSINESS, calendar).due_at
    paused = min(due - timedelta(minutes=1), start + timedelta(minutes=pause_after))
    now = paused + timedelta(minutes=wait * 11)

    assert shift_due(due, pause_credit(paused, now, calendar).business_days, calendar) > now
