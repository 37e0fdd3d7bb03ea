"""Laws the deadline engine keeps for any calendar, start and length (hypothesis)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.domain.calendar import WEEKDAY_NAMES, BranchCalendar, DayCounting
from workflow.domain.deadlines import compute_deadline, project_completion, project_due_times

# Brazil's zones, one that had daylight saving until 2019 (São Paulo) and one that still has it.
BRANCH_ZONES = [
    "America/Sao_Paulo",
    "America/Manaus",
    "America/Rio_Branco",
    "America/Noronha",
    "America/New_York",
]
ENTRY_ZONES = [ZoneInfo(name) for name in [*BRANCH_ZONES, "UTC", "Asia/Tokyo"]]


@st.composite
def calendars(draw: st.DrawFn) -> BranchCalendar:
    """Any sensible branch: some working weekdays, some closed days, hours inside the day.

    Hours stay between 06:00 and 22:00 so that they never fall in a daylight-saving gap or
    repeated hour, where wall-clock comparisons stop being monotonic in the instant.
    """
    weekdays = draw(st.frozensets(st.integers(0, 6), min_size=1))
    closed = draw(
        st.dictionaries(
            st.dates(date(2017, 1, 1), date(2028, 12, 31)),
            st.sampled_from(
                ["Carnaval (ponto facultativo)", "Natal", "Fechamento para inventário"]
            ),
            max_size=60,
        )
    )
    opens = draw(st.integers(6 * 60, 21 * 60))
    closes = draw(st.integers(opens + 1, 22 * 60))
    # Some weekdays (a Saturday morning shift) may close at another time.
    other_closing = draw(
        st.dictionaries(st.integers(0, 6), st.integers(opens + 1, 22 * 60), max_size=2)
    )
    return BranchCalendar(
        timezone=draw(st.sampled_from(BRANCH_ZONES)),
        closed_days=closed,
        working_weekdays=weekdays,
        opens_at=time(opens // 60, opens % 60),
        closes_at=time(closes // 60, closes % 60),
        closing_by_weekday={day: time(m // 60, m % 60) for day, m in other_closing.items()},
    )


# Only real instants: a wall-clock time skipped by a daylight-saving jump (São Paulo,
# 15/10/2017 00:30) names no instant, so "the same instant" would be meaningless for it.
starts = st.datetimes(
    datetime(2017, 1, 1),
    datetime(2028, 12, 31),
    timezones=st.sampled_from(ENTRY_ZONES),
    allow_imaginary=False,
)
countings = st.sampled_from(list(DayCounting))
days = st.integers(0, 40)
positive_days = st.integers(1, 40)


def local(moment: datetime, calendar: BranchCalendar) -> datetime:
    return moment.astimezone(ZoneInfo(calendar.timezone))


@given(calendars(), starts, positive_days, positive_days)
def test_adding_a_then_b_business_days_equals_adding_a_plus_b(
    calendar: BranchCalendar, start: datetime, a: int, b: int
) -> None:
    first = compute_deadline(start, a, DayCounting.BUSINESS, calendar)
    second = compute_deadline(first.due_at, b, DayCounting.BUSINESS, calendar)

    assert second.due_at == compute_deadline(start, a + b, DayCounting.BUSINESS, calendar).due_at


@given(calendars(), starts, positive_days, countings)
def test_a_zero_day_stage_after_another_stage_adds_nothing(
    calendar: BranchCalendar, start: datetime, a: int, counting: DayCounting
) -> None:
    first = compute_deadline(start, a, counting, calendar)

    assert compute_deadline(first.due_at, 0, counting, calendar).due_at == first.due_at


@given(calendars(), starts, days, countings)
def test_every_deadline_is_at_closing_time_on_a_business_day_in_the_branch_zone(
    calendar: BranchCalendar, start: datetime, planned: int, counting: DayCounting
) -> None:
    due_at = compute_deadline(start, planned, counting, calendar).due_at

    assert due_at.tzinfo == ZoneInfo(calendar.timezone)
    assert due_at.time() == calendar.closes_on(due_at.date())
    assert calendar.is_business_day(due_at.date())
    assert due_at >= start


@given(calendars(), starts, positive_days)
def test_business_days_count_exactly_the_business_days_after_the_entry(
    calendar: BranchCalendar, start: datetime, planned: int
) -> None:
    deadline = compute_deadline(start, planned, DayCounting.BUSINESS, calendar)
    entered = local(start, calendar)
    entry_day_counts = calendar.is_business_day(entered.date()) and (
        entered.time() < calendar.opens_at
    )
    first = entered.date() if entry_day_counts else entered.date() + timedelta(days=1)
    every_day = [
        first + timedelta(days=n) for n in range((deadline.due_at.date() - first).days + 1)
    ]

    assert deadline.explanation.counted_days == tuple(filter(calendar.is_business_day, every_day))
    assert len(deadline.explanation.counted_days) == planned


@given(calendars(), starts, positive_days)
def test_calendar_days_end_on_the_nth_day_or_the_first_business_day_after(
    calendar: BranchCalendar, start: datetime, planned: int
) -> None:
    deadline = compute_deadline(start, planned, DayCounting.CALENDAR, calendar)
    entered = local(start, calendar)
    entry_day_counts = calendar.is_business_day(entered.date()) and (
        entered.time() < calendar.opens_at
    )
    first = entered.date() if entry_day_counts else entered.date() + timedelta(days=1)
    nominal = first + timedelta(days=planned - 1)
    due_on = deadline.due_at.date()
    passed_over = [nominal + timedelta(days=n) for n in range((due_on - nominal).days)]

    assert due_on >= nominal
    assert not any(calendar.is_business_day(day) for day in passed_over)
    assert deadline.explanation.moved_from == (nominal if due_on != nominal else None)
    assert [skipped.day for skipped in deadline.explanation.skipped_days] == passed_over
    assert len(deadline.explanation.counted_days) == planned


@given(calendars(), starts, positive_days)
def test_n_calendar_days_never_end_after_n_business_days(
    calendar: BranchCalendar, start: datetime, planned: int
) -> None:
    by_calendar = compute_deadline(start, planned, DayCounting.CALENDAR, calendar)
    by_business = compute_deadline(start, planned, DayCounting.BUSINESS, calendar)

    assert by_calendar.due_at <= by_business.due_at


@given(calendars(), starts, positive_days)
def test_a_business_day_deadline_lands_on_a_business_day_after_n_business_days(
    calendar: BranchCalendar, start: datetime, planned: int
) -> None:
    deadline = compute_deadline(start, planned, DayCounting.BUSINESS, calendar)
    due_on = deadline.due_at.date()

    assert calendar.is_business_day(due_on)
    assert deadline.explanation.counted_days[-1] == due_on
    assert all(calendar.is_business_day(day) for day in deadline.explanation.counted_days)


@given(calendars(), starts, days, countings)
def test_skipped_days_are_the_closed_days_with_their_reasons(
    calendar: BranchCalendar, start: datetime, planned: int, counting: DayCounting
) -> None:
    for skipped in compute_deadline(start, planned, counting, calendar).explanation.skipped_days:
        assert not calendar.is_business_day(skipped.day)
        weekday = skipped.day.weekday()
        if weekday in calendar.working_weekdays:
            assert skipped.reason == calendar.closed_days[skipped.day]
        else:
            assert skipped.reason == WEEKDAY_NAMES[weekday]


@given(calendars(), starts, st.timedeltas(timedelta(0), timedelta(days=20)), days, countings)
def test_a_later_start_never_gives_an_earlier_deadline(
    calendar: BranchCalendar,
    start: datetime,
    delay: timedelta,
    planned: int,
    counting: DayCounting,
) -> None:
    earlier = compute_deadline(start, planned, counting, calendar)
    later = compute_deadline(start + delay, planned, counting, calendar)

    assert earlier.due_at <= later.due_at


@given(calendars(), starts, days, countings)
def test_more_planned_days_never_give_an_earlier_deadline(
    calendar: BranchCalendar, start: datetime, planned: int, counting: DayCounting
) -> None:
    shorter = compute_deadline(start, planned, counting, calendar)
    longer = compute_deadline(start, planned + 1, counting, calendar)

    assert shorter.due_at <= longer.due_at


@given(calendars(), starts, days, countings, st.sampled_from(ENTRY_ZONES))
def test_the_same_instant_in_any_zone_gives_the_same_deadline(
    calendar: BranchCalendar,
    start: datetime,
    planned: int,
    counting: DayCounting,
    zone: ZoneInfo,
) -> None:
    in_branch_zone = compute_deadline(local(start, calendar), planned, counting, calendar)
    in_utc = compute_deadline(start.astimezone(UTC), planned, counting, calendar)
    elsewhere = compute_deadline(start.astimezone(zone), planned, counting, calendar)

    assert in_branch_zone == in_utc == elsewhere


@given(
    st.datetimes(datetime(2020, 1, 1), datetime(2028, 12, 31)),
    days,
    countings,
    st.dictionaries(st.dates(date(2020, 1, 1), date(2028, 12, 31)), st.just("Feriado")),
)
def test_manaus_and_sao_paulo_differ_only_by_their_local_closing_time(
    wall_clock: datetime, planned: int, counting: DayCounting, closed: dict[date, str]
) -> None:
    sao_paulo = BranchCalendar("America/Sao_Paulo", closed)
    manaus = BranchCalendar("America/Manaus", closed)
    due_sao_paulo = compute_deadline(
        wall_clock.replace(tzinfo=ZoneInfo("America/Sao_Paulo")), planned, counting, sao_paulo
    ).due_at
    due_manaus = compute_deadline(
        wall_clock.replace(tzinfo=ZoneInfo("America/Manaus")), planned, counting, manaus
    ).due_at

    assert due_sao_paulo.replace(tzinfo=None) == due_manaus.replace(tzinfo=None)
    assert due_manaus - due_sao_paulo == timedelta(hours=1)  # Manaus is UTC-4, São Paulo UTC-3


@settings(max_examples=50)
@given(calendars(), starts, st.lists(st.tuples(days, countings), max_size=6))
def test_a_projection_is_its_stages_computed_one_after_another(
    calendar: BranchCalendar, start: datetime, stages: list[tuple[int, DayCounting]]
) -> None:
    projection = project_completion(start, stages, calendar)

    stage_start = local(start, calendar)
    for (planned, counting), deadline in zip(stages, projection.stage_deadlines, strict=True):
        assert deadline == compute_deadline(stage_start, planned, counting, calendar)
        stage_start = deadline.due_at
    assert projection.due_at == stage_start


def _due_times_with_zones(times: tuple[datetime, ...]) -> list[tuple[datetime, str]]:
    """Each time with its zone: equal instants in other zones would compare equal."""
    return [(moment, str(moment.tzinfo)) for moment in times]


@settings(max_examples=200)
@given(calendars(), starts, st.lists(st.tuples(days, countings), max_size=12))
def test_the_due_times_alone_are_the_projections_due_times(
    calendar: BranchCalendar, start: datetime, stages: list[tuple[int, DayCounting]]
) -> None:
    """``project_due_times`` (what re-planning uses at every move) skips the explanations and
    nothing else."""
    projection = project_completion(start, stages, calendar)

    assert _due_times_with_zones(project_due_times(start, stages, calendar)) == (
        _due_times_with_zones(tuple(d.due_at for d in projection.stage_deadlines))
    )


def test_the_due_times_alone_agree_across_a_daylight_saving_gap() -> None:
    """A branch closing at 00:30 in São Paulo in 2018, when the clocks jumped from 00:00 to
    01:00 on 04/11: that day's closing time names no instant; the next stage starts from that
    wall time in both projections (13 stages fall due that day here)."""
    calendar = BranchCalendar(
        timezone="America/Sao_Paulo",
        closed_days={},
        working_weekdays=frozenset(range(7)),
        opens_at=time(0, 10),
        closes_at=time(0, 30),
    )
    stages = [(1, DayCounting.CALENDAR), (0, DayCounting.BUSINESS), (2, DayCounting.BUSINESS)]
    for hour in range(0, 24 * 6, 5):
        start = datetime(2018, 11, 1, tzinfo=UTC) + timedelta(hours=hour)
        projection = project_completion(start, stages, calendar)

        assert _due_times_with_zones(project_due_times(start, stages, calendar)) == (
            _due_times_with_zones(tuple(d.due_at for d in projection.stage_deadlines))
        )
