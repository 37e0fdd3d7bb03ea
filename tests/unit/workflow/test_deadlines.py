"""The deadline rules, one example at a time (see workflow.domain.deadlines)."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from workflow.domain.calendar import BranchCalendar, DayCounting, NonBusinessDay
from workflow.domain.deadlines import compute_deadline, project_completion, project_due_times

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
BUSINESS = DayCounting.BUSINESS
CALENDAR = DayCounting.CALENDAR
CARNIVAL = "Carnaval (ponto facultativo)"


def sao_paulo_branch(closed: dict[str, str]) -> BranchCalendar:
    """A São Paulo branch, Monday to Friday 9:00–18:00, closed on the given ISO dates."""
    return BranchCalendar(
        timezone="America/Sao_Paulo",
        closed_days={date.fromisoformat(day): why for day, why in closed.items()},
    )


CARNIVAL_2026 = sao_paulo_branch({"2026-02-16": CARNIVAL, "2026-02-17": CARNIVAL})
PLAIN = sao_paulo_branch({})


def at(day: str, clock: str = "10:00", zone: ZoneInfo = SAO_PAULO) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=zone)


# --- rule 1: business days -------------------------------------------------------------------


def test_business_days_skip_the_weekend_and_carnival_when_the_branch_observes_it() -> None:
    deadline = compute_deadline(at("2026-02-13"), 3, BUSINESS, CARNIVAL_2026)

    assert deadline.due_at == at("2026-02-20", "18:00")
    assert deadline.explanation.counted_days == (
        date(2026, 2, 18),
        date(2026, 2, 19),
        date(2026, 2, 20),
    )
    assert deadline.explanation.skipped_days == (
        NonBusinessDay(date(2026, 2, 14), "sábado"),
        NonBusinessDay(date(2026, 2, 15), "domingo"),
        NonBusinessDay(date(2026, 2, 16), CARNIVAL),
        NonBusinessDay(date(2026, 2, 17), CARNIVAL),
    )
    assert deadline.explanation.moved_from is None


def test_business_days_count_carnival_when_the_branch_opens() -> None:
    deadline = compute_deadline(at("2026-02-13"), 3, BUSINESS, PLAIN)

    assert deadline.due_at == at("2026-02-18", "18:00")


def test_entry_before_opening_counts_the_entry_day() -> None:
    deadline = compute_deadline(at("2026-02-12", "08:59"), 1, BUSINESS, PLAIN)

    assert deadline.due_at == at("2026-02-12", "18:00")
    assert deadline.explanation.entry_day_counted


@pytest.mark.parametrize("clock", ["09:00", "12:00", "18:00", "23:59"])
def test_entry_at_or_after_opening_starts_counting_the_next_business_day(clock: str) -> None:
    deadline = compute_deadline(at("2026-02-12", clock), 1, BUSINESS, PLAIN)

    assert deadline.due_at == at("2026-02-13", "18:00")
    assert not deadline.explanation.entry_day_counted


@pytest.mark.parametrize(
    ("entry", "reason"),
    [("2026-02-14", "sábado"), ("2026-02-15", "domingo"), ("2026-02-16", CARNIVAL)],
)
def test_entry_before_opening_on_a_closed_day_never_counts_it(entry: str, reason: str) -> None:
    deadline = compute_deadline(at(entry, "07:00"), 1, BUSINESS, CARNIVAL_2026)

    assert deadline.due_at == at("2026-02-18", "18:00")
    assert deadline.explanation.skipped_days[0] == NonBusinessDay(date.fromisoformat(entry), reason)


def test_a_branch_that_works_on_saturdays_counts_them() -> None:
    calendar = BranchCalendar("America/Sao_Paulo", {}, working_weekdays=frozenset(range(6)))

    deadline = compute_deadline(at("2026-02-13"), 1, BUSINESS, calendar)

    assert deadline.due_at == at("2026-02-14", "18:00")


def test_a_weekday_the_branch_never_works_is_skipped_with_its_name() -> None:
    calendar = BranchCalendar("America/Sao_Paulo", {}, working_weekdays=frozenset({1, 2, 3, 4, 5}))

    deadline = compute_deadline(at("2026-02-13"), 2, BUSINESS, calendar)

    assert deadline.due_at == at("2026-02-17", "18:00")
    reasons = [day.reason for day in deadline.explanation.skipped_days]
    assert reasons == ["domingo", "segunda-feira"]


SATURDAY_MORNINGS = BranchCalendar(
    "America/Sao_Paulo",
    {},
    working_weekdays=frozenset(range(6)),
    closing_by_weekday={5: time(13, 0)},
)


def test_a_deadline_on_a_saturday_is_at_the_saturday_closing_time() -> None:
    deadline = compute_deadline(at("2026-02-13"), 1, BUSINESS, SATURDAY_MORNINGS)

    assert deadline.due_at == at("2026-02-14", "13:00")
    assert SATURDAY_MORNINGS.closes_on(date(2026, 2, 14)) == time(13, 0)
    assert SATURDAY_MORNINGS.closes_on(date(2026, 2, 13)) == time(18, 0)


def test_a_branch_open_on_saturdays_skips_only_sundays_and_says_so() -> None:
    two = compute_deadline(at("2026-02-13"), 2, BUSINESS, SATURDAY_MORNINGS)
    eight = compute_deadline(at("2026-02-13"), 8, BUSINESS, SATURDAY_MORNINGS)

    assert two.describe() == "2 dias úteis a partir de 13/02/2026; pulou domingo (15/02)"
    assert eight.describe() == (
        "8 dias úteis a partir de 13/02/2026; pulou os domingos (15/02 e 22/02)"
    )


def test_a_zero_day_stage_entered_after_the_saturday_close_waits_for_monday() -> None:
    deadline = compute_deadline(at("2026-02-14", "14:00"), 0, BUSINESS, SATURDAY_MORNINGS)

    assert deadline.due_at == at("2026-02-16", "18:00")


def test_the_deadline_is_the_branch_closing_time() -> None:
    calendar = BranchCalendar("America/Sao_Paulo", {}, opens_at=time(10, 0), closes_at=time(20, 30))

    deadline = compute_deadline(at("2026-02-12", "09:30"), 1, BUSINESS, calendar)

    assert deadline.due_at == at("2026-02-12", "20:30")


# --- rule 2: calendar days -------------------------------------------------------------------


def test_calendar_days_start_the_day_after_an_entry_during_or_after_working_hours() -> None:
    deadline = compute_deadline(at("2026-02-09", "23:00"), 3, CALENDAR, PLAIN)

    assert deadline.due_at == at("2026-02-12", "18:00")
    assert deadline.explanation.counted_days == (
        date(2026, 2, 10),
        date(2026, 2, 11),
        date(2026, 2, 12),
    )
    assert deadline.explanation.skipped_days == ()
    assert deadline.explanation.moved_from is None


def test_calendar_days_count_the_entry_day_when_the_order_enters_before_opening() -> None:
    deadline = compute_deadline(at("2026-02-09", "08:30"), 3, CALENDAR, PLAIN)

    assert deadline.due_at == at("2026-02-11", "18:00")
    assert deadline.explanation.entry_day_counted
    assert (
        deadline.describe() == "3 dias corridos a partir de 09/02/2026, contando o dia da entrada"
    )
    # and never later than the same number of business days from the same start
    assert deadline.due_at <= compute_deadline(at("2026-02-09", "08:30"), 3, BUSINESS, PLAIN).due_at


def test_calendar_days_before_opening_on_a_closed_day_start_the_next_day() -> None:
    deadline = compute_deadline(at("2026-02-14", "08:00"), 1, CALENDAR, PLAIN)

    # Saturday 14 is closed: counting starts Sunday 15, which moves to Monday 16.
    assert deadline.due_at == at("2026-02-16", "18:00")
    assert deadline.explanation.moved_from == date(2026, 2, 15)


def test_calendar_days_that_end_on_a_closed_day_move_to_the_next_business_day() -> None:
    deadline = compute_deadline(at("2026-02-12"), 2, CALENDAR, CARNIVAL_2026)

    assert deadline.due_at == at("2026-02-18", "18:00")
    assert deadline.explanation.moved_from == date(2026, 2, 14)
    assert [day.day.day for day in deadline.explanation.skipped_days] == [14, 15, 16, 17]


def test_calendar_days_count_through_weekends_and_holidays_in_the_middle() -> None:
    deadline = compute_deadline(at("2026-02-13"), 5, CALENDAR, CARNIVAL_2026)

    assert deadline.due_at == at("2026-02-18", "18:00")
    assert deadline.explanation.skipped_days == ()


# --- rule 3: zero days -----------------------------------------------------------------------


@pytest.mark.parametrize("counting", list(DayCounting))
@pytest.mark.parametrize("clock", ["06:00", "12:00", "18:00"])
def test_zero_days_are_due_at_closing_of_a_business_entry_day(
    counting: DayCounting, clock: str
) -> None:
    deadline = compute_deadline(at("2026-02-12", clock), 0, counting, PLAIN)

    assert deadline.due_at == at("2026-02-12", "18:00")
    assert deadline.explanation.moved_from is None


@pytest.mark.parametrize("counting", list(DayCounting))
def test_zero_days_after_closing_move_to_the_next_business_day(counting: DayCounting) -> None:
    deadline = compute_deadline(at("2026-02-13", "18:00:01"), 0, counting, CARNIVAL_2026)

    assert deadline.due_at == at("2026-02-18", "18:00")
    assert deadline.explanation.moved_from == date(2026, 2, 13)


def test_zero_days_on_a_holiday_move_to_the_next_business_day() -> None:
    deadline = compute_deadline(at("2026-02-16", "08:00"), 0, CALENDAR, CARNIVAL_2026)

    assert deadline.due_at == at("2026-02-18", "18:00")


# --- rule 4: time zones ----------------------------------------------------------------------


def test_an_entry_in_another_zone_is_read_in_the_branch_zone() -> None:
    # 11:30 UTC is 08:30 in São Paulo: before opening, so the entry day counts.
    deadline = compute_deadline(datetime(2026, 2, 12, 11, 30, tzinfo=UTC), 1, BUSINESS, PLAIN)

    assert deadline.due_at == at("2026-02-12", "18:00")
    assert deadline.due_at.tzinfo is SAO_PAULO
    assert deadline.explanation.entered_at == at("2026-02-12", "08:30")


def test_a_late_evening_entry_in_utc_is_still_the_same_local_day() -> None:
    # 01:00 UTC on the 13th is 22:00 on the 12th in São Paulo.
    deadline = compute_deadline(datetime(2026, 2, 13, 1, 0, tzinfo=UTC), 0, BUSINESS, PLAIN)

    assert deadline.due_at == at("2026-02-13", "18:00")


def test_closing_time_follows_the_offset_of_the_due_day_under_daylight_saving() -> None:
    # São Paulo left daylight saving time (-02 -> -03) on 18/02/2018.
    deadline = compute_deadline(at("2018-02-16"), 3, BUSINESS, PLAIN)

    assert deadline.due_at == at("2018-02-21", "18:00")
    assert deadline.due_at.utcoffset() == timedelta(hours=-3)
    assert deadline.due_at == datetime(2018, 2, 21, 21, 0, tzinfo=UTC)


# --- rule 5: broken calendars ----------------------------------------------------------------


def every_day(first: date, last: date) -> dict[date, str]:
    days = (first + timedelta(days=offset) for offset in range((last - first).days + 1))
    return {day: "Reforma" for day in days}


@pytest.mark.parametrize(("planned", "counting"), [(0, BUSINESS), (3, BUSINESS), (3, CALENDAR)])
def test_a_calendar_closed_for_more_than_three_years_raises(
    planned: int, counting: DayCounting
) -> None:
    calendar = BranchCalendar("America/Sao_Paulo", every_day(date(2026, 1, 1), date(2029, 6, 1)))

    with pytest.raises(ValueError, match="no business day"):
        compute_deadline(at("2026-02-12"), planned, counting, calendar)


def test_a_branch_with_no_working_weekday_raises() -> None:
    calendar = BranchCalendar("America/Sao_Paulo", {}, working_weekdays=frozenset())

    with pytest.raises(ValueError, match="no business day"):
        compute_deadline(at("2026-02-12"), 1, BUSINESS, calendar)


def test_a_long_closure_under_three_years_still_gives_a_deadline() -> None:
    calendar = BranchCalendar("America/Sao_Paulo", every_day(date(2026, 1, 1), date(2027, 12, 31)))

    deadline = compute_deadline(at("2026-02-12"), 2, BUSINESS, calendar)

    assert deadline.due_at == at("2028-01-04", "18:00")


# --- inputs ----------------------------------------------------------------------------------


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_deadline(datetime(2026, 2, 12, 10), 1, BUSINESS, PLAIN)
    with pytest.raises(ValueError, match="timezone-aware"):
        project_completion(datetime(2026, 2, 12, 10), [(1, BUSINESS)], PLAIN)
    with pytest.raises(ValueError, match="timezone-aware"):
        project_due_times(datetime(2026, 2, 12, 10), [(1, BUSINESS)], PLAIN)


def test_negative_planned_days_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        compute_deadline(at("2026-02-12"), -1, BUSINESS, PLAIN)
    with pytest.raises(ValueError, match="negative"):  # a later stage, in either projection
        project_completion(at("2026-02-12"), [(1, BUSINESS), (-1, BUSINESS)], PLAIN)
    with pytest.raises(ValueError, match="negative"):
        project_due_times(at("2026-02-12"), [(1, BUSINESS), (-1, BUSINESS)], PLAIN)


@pytest.mark.parametrize(
    ("settings", "complaint"),
    [
        ({"timezone": "America/Nowhere"}, "unknown time zone"),
        ({"working_weekdays": frozenset({7})}, "weekdays"),
        ({"opens_at": time(18), "closes_at": time(9)}, "open before it closes"),
        ({"closed_days": {datetime(2026, 2, 16): CARNIVAL}}, "not datetimes"),
        ({"opens_at": time(9, tzinfo=UTC)}, "without tzinfo"),
        ({"closing_by_weekday": {5: time(8)}}, "open before it closes on sábado"),
        ({"closing_by_weekday": {7: time(13)}}, "weekdays"),
    ],
)
def test_a_calendar_that_makes_no_sense_is_refused(
    settings: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(ValueError, match=complaint):
        BranchCalendar(**{"timezone": "America/Sao_Paulo", "closed_days": {}, **settings})


def test_a_calendar_keeps_its_own_copy_of_the_closed_days() -> None:
    closed = {date(2026, 2, 16): CARNIVAL}
    calendar = BranchCalendar("America/Sao_Paulo", closed)
    closed[date(2026, 2, 18)] = "Quarta-feira de Cinzas"

    assert not calendar.is_business_day(date(2026, 2, 16))
    assert calendar.is_business_day(date(2026, 2, 18))
    assert compute_deadline(at("2026-02-17"), 1, BUSINESS, calendar).due_at == at(
        "2026-02-18", "18:00"
    )


# --- explanations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "planned", "counting", "sentence"),
    [
        (
            at("2026-02-13"),
            3,
            BUSINESS,
            "3 dias úteis a partir de 13/02/2026; pulou Carnaval (ponto facultativo, 16/02 e "
            "17/02) e o fim de semana (14/02 e 15/02)",
        ),
        (
            at("2026-02-12", "08:00"),
            1,
            BUSINESS,
            "1 dia útil a partir de 12/02/2026, contando o dia da entrada",
        ),
        (
            at("2026-02-01"),
            12,
            BUSINESS,
            "12 dias úteis a partir de 01/02/2026; pulou Carnaval (ponto facultativo, 16/02 e "
            "17/02) e os fins de semana (01/02, 07/02, 08/02, 14/02 e 15/02)",
        ),
        (
            at("2026-02-12"),
            2,
            CALENDAR,
            "2 dias corridos a partir de 12/02/2026; o prazo caía em 14/02 e passou para 18/02; "
            "pulou Carnaval (ponto facultativo, 16/02 e 17/02) e o fim de semana (14/02 e 15/02)",
        ),
        (at("2026-02-09"), 3, CALENDAR, "3 dias corridos a partir de 09/02/2026"),
        (at("2026-02-12"), 0, BUSINESS, "0 dias úteis a partir de 12/02/2026; prazo no mesmo dia"),
        (
            at("2026-02-13", "19:00"),
            0,
            CALENDAR,
            "0 dias corridos a partir de 13/02/2026; entrada fora do expediente; prazo no dia "
            "útil seguinte, 18/02; pulou Carnaval (ponto facultativo, 16/02 e 17/02) e o fim de "
            "semana (14/02 e 15/02)",
        ),
    ],
)
def test_the_explanation_reads_as_a_short_portuguese_sentence(
    start: datetime, planned: int, counting: DayCounting, sentence: str
) -> None:
    deadline = compute_deadline(start, planned, counting, CARNIVAL_2026)

    assert deadline.describe() == sentence
    assert deadline.explanation.describe() == sentence


def test_a_closure_reason_without_parentheses_gets_its_dates_in_parentheses() -> None:
    calendar = sao_paulo_branch({"2026-03-02": "Fechamento para inventário"})

    deadline = compute_deadline(at("2026-02-27"), 1, BUSINESS, calendar)

    assert deadline.describe() == (
        "1 dia útil a partir de 27/02/2026; pulou Fechamento para inventário (02/03) "
        "e o fim de semana (28/02 e 01/03)"
    )


# --- projections -----------------------------------------------------------------------------


def test_a_projection_starts_each_stage_when_the_previous_one_is_due() -> None:
    stages = [(1, BUSINESS), (2, CALENDAR), (0, BUSINESS), (3, BUSINESS)]

    projection = project_completion(at("2026-02-12"), stages, CARNIVAL_2026)

    dues = [deadline.due_at for deadline in projection.stage_deadlines]
    assert dues == [
        at("2026-02-13", "18:00"),
        at("2026-02-18", "18:00"),  # 15/02 is a Sunday, then Carnival
        at("2026-02-18", "18:00"),  # a zero-day stage costs nothing when entered at closing
        at("2026-02-23", "18:00"),
    ]
    assert projection.due_at == dues[-1]


def test_a_projection_with_no_stage_left_completes_at_its_start() -> None:
    projection = project_completion(datetime(2026, 2, 12, 13, tzinfo=UTC), [], PLAIN)

    assert projection.stage_deadlines == ()
    assert projection.due_at == at("2026-02-12")
    assert projection.due_at.tzinfo is SAO_PAULO
