"""The what-if over columns gives exactly what replaying order by order gives.

``reference`` below replays each order as the rules in ``docs/what-if.md`` say, one at a time,
with datetimes (``compute_deadline`` for planned stages, ``DeadlineMemo.promise`` for the
promise, the local day of ``opened + timedelta(seconds=total)``): what ``compare`` did before
it worked on columns. The histories are drawn to put deliveries on the microsecond around
local midnights and hour edges, in zones with daylight saving time and half-hour offsets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from workflow.domain.calendar import BranchCalendar, DayCounting
from workflow.domain.deadlines import compute_deadline
from workflow.domain.flow import Stage
from workflow.domain.history import (
    HOUR_US,
    DeadlineMemo,
    HistoricalOrder,
    HistoryBlock,
    instant,
    median,
    microseconds_of,
    percentile,
    plan_of,
    rate,
)
from workflow.domain.what_if import (
    Comparison,
    DraftStage,
    Flip,
    Outcome,
    StageFigure,
    TimeSource,
    compare,
    delivery_days,
)

ZONES = (
    "America/Sao_Paulo",  # daylight saving time until 2019, switched at midnight
    "America/New_York",
    "Asia/Kolkata",  # +05:30: local midnight inside a UTC hour
    "Australia/Lord_Howe",  # half-hour daylight saving time
    "Europe/London",
)
B, C = DayCounting.BUSINESS, DayCounting.CALENDAR
STAGES = (Stage("a", "A", 1, B), Stage("b", "B", 2, B), Stage("c", "C", 1, C))
SAME_DAY = (Stage("a", "A", 0, C), Stage("b", "B", 0, C), Stage("c", "C", 0, C))
"""Promised the day of opening (before closing time): a delivery a microsecond either side of
midnight is on time or late."""
DRAFTS = (
    (DraftStage(STAGES[0]), DraftStage(STAGES[2])),
    (DraftStage(STAGES[0]), DraftStage(Stage("n", "Nova", 1, B)), DraftStage(STAGES[2])),
    (DraftStage(STAGES[2]), DraftStage(Stage("n", "Nova", 0, C), 5.25), DraftStage(STAGES[1])),
    tuple(DraftStage(stage) for stage in STAGES),
)


Run = tuple[date, date, float, list[float], list[bool]]
"""One order's replay: promised day, delivery day, lead hours, seconds and realness per stage."""


def _replay(
    order: HistoricalOrder, stages: Sequence[DraftStage], memo: DeadlineMemo, cal: BranchCalendar
) -> Run:
    total = 0.0
    seconds, real = [], []
    for draft in stages:
        spent = order.stage_seconds.get(draft.stage.key)
        real.append(spent is not None)
        if spent is None and draft.typed_hours is not None:
            spent = draft.typed_hours * 3600.0
        elif spent is None:
            at = order.opened_at + timedelta(seconds=total)
            due = compute_deadline(at, draft.stage.planned_days, draft.stage.counting, cal).due_at
            spent = max((due - at).total_seconds(), 0.0)
        seconds.append(spent)
        total += spent
    total += order.outside_seconds
    delivered = (order.opened_at + timedelta(seconds=total)).astimezone(ZoneInfo(cal.timezone))
    promised = memo.promise(order.opened_at, plan_of([d.stage for d in stages]))
    return promised, delivered.date(), total / 3600.0, seconds, real


def _outcome(stages: Sequence[DraftStage], runs: list[Run]) -> Outcome:
    count = len(runs)
    on_time = sum(1 for promised, delivered, *_ in runs if delivered <= promised)
    figures = []
    for index, draft in enumerate(stages):
        hours = [run[3][index] / 3600.0 for run in runs]
        real = sum(1 for run in runs if run[4][index])
        if count and real * 2 >= count:
            source = TimeSource.REAL
        else:
            source = TimeSource.TYPED if draft.typed_hours is not None else TimeSource.PLANNED
        figures.append(
            StageFigure(
                draft.stage.key,
                draft.stage.name,
                draft.stage.planned_days,
                draft.stage.counting.value,
                source,
                real,
                median(hours),
                percentile(hours, 0.9),
            )
        )
    leads = [run[2] for run in runs]
    return Outcome(
        count,
        on_time,
        rate(on_time, count),
        median(leads),
        percentile(leads, 0.9),
        tuple(figures),
    )


def reference(
    orders: Sequence[HistoricalOrder],
    flow: Sequence[Stage],
    stages: Sequence[DraftStage],
    memos: Mapping[str, DeadlineMemo],
    calendars: Mapping[str, BranchCalendar],
) -> Comparison:
    current = [DraftStage(stage) for stage in flow]
    before: list[Run] = []
    after: list[Run] = []
    to_on_time: list[Flip] = []
    to_late: list[Flip] = []
    promised = recorded = 0
    for order in orders:
        memo, cal = memos[order.branch], calendars[order.branch]
        old, new = _replay(order, current, memo, cal), _replay(order, stages, memo, cal)
        before.append(old)
        after.append(new)
        was, now = old[1] <= old[0], new[1] <= new[0]
        if was != now:
            flip = Flip(order.order_id, order.number, old[0], old[1], new[0], new[1])
            (to_late if was else to_on_time).append(flip)
        if order.promised_date is not None:
            promised += 1
            recorded += memo.local_day(order.delivered_at) <= order.promised_date
    first = sorted(to_on_time, key=lambda f: (f.number, f.order_id))[:10]
    late = sorted(to_late, key=lambda f: (f.number, f.order_id))[:10]
    return Comparison(
        _outcome(current, before),
        _outcome(stages, after),
        rate(recorded, promised),
        len(to_on_time),
        len(to_late),
        tuple(first),
        tuple(late),
    )


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[HistoricalOrder], dict[str, BranchCalendar]]:
    zones = draw(st.lists(st.sampled_from(ZONES), min_size=1, max_size=2, unique=True))
    calendars = {
        zone: BranchCalendar(
            zone,
            {},
            opens_at=time(draw(st.integers(6, 10)), draw(st.sampled_from([0, 30]))),
            closes_at=draw(st.sampled_from([time(18), time(23, 59, 59, 999999)])),
            closing_by_weekday={4: time(draw(st.integers(15, 21)), 0)},
        )
        for zone in zones
    }
    orders = []
    for number in range(draw(st.integers(1, 12))):
        zone = draw(st.sampled_from(zones))
        keys = draw(st.lists(st.sampled_from(["a", "b", "c", "old"]), unique=True, max_size=4))
        longest = draw(st.sampled_from([400, 3])) * 3_600_000_000
        spent_us = [draw(st.integers(0, longest)) for _ in keys]
        outside_us = draw(st.sampled_from([0, 0, 1, 3_600_000_000]))
        # The real delivery (or, often, a replay's) on the microsecond around a local midnight.
        day = draw(st.dates(date(2017, 1, 1), date(2027, 12, 31)))
        midnight = datetime.combine(day, time(0), ZoneInfo(zone)).astimezone(UTC)
        delivered = midnight + timedelta(
            microseconds=draw(
                st.sampled_from([-1, 0, 1, 1_800_000_000]) | st.integers(-(10**11), 10**11)
            )
        )
        opened = delivered - timedelta(microseconds=sum(spent_us) + outside_us)
        # Whole microseconds, as stays read from timestamps, or not (hours typed by hand).
        fractions = [draw(st.sampled_from([0, 0, 0.4, 0.5, 0.6])) for _ in keys]
        seconds = {
            key: (us + fraction) / 1_000_000
            for key, us, fraction in zip(keys, spent_us, fractions, strict=True)
        }
        lead = (delivered - opened).total_seconds()
        orders.append(
            HistoricalOrder(
                f"id-{number:02}",
                f"N{draw(st.integers(0, 3))}",
                zone,
                0,
                opened,
                delivered,
                draw(st.none() | st.dates(day - timedelta(days=2), day + timedelta(days=2))),
                seconds,
                outside_seconds=max(lead - sum(seconds.values()), 0.0),
            )
        )
    return orders, calendars


@settings(max_examples=400, deadline=None)
@given(histories(), st.sampled_from([STAGES, SAME_DAY]), st.sampled_from(DRAFTS))
def test_the_columns_give_exactly_the_order_by_order_answer(
    history: tuple[list[HistoricalOrder], dict[str, BranchCalendar]],
    flow: tuple[Stage, ...],
    draft: tuple[DraftStage, ...],
) -> None:
    orders, calendars = history
    expected = reference(
        orders, flow, draft, {z: DeadlineMemo(c) for z, c in calendars.items()}, calendars
    )

    memos = {z: DeadlineMemo(c) for z, c in calendars.items()}
    assert compare(orders, flow, draft, memos) == expected


# --- the memo's hours, instant by instant ------------------------------------------------------


@st.composite
def edges(draw: st.DrawFn) -> tuple[BranchCalendar, int]:
    """A calendar, and an instant (µs since the epoch) a few µs around a local midnight, an
    hour's edge, the opening or the closing time."""
    zone = draw(st.sampled_from(ZONES))
    calendar = BranchCalendar(zone, {}, opens_at=time(draw(st.integers(6, 10)), 30))
    day = draw(st.dates(date(2017, 1, 1), date(2027, 12, 31)))
    moment = draw(st.sampled_from([time(0), time(0), time(1), time(9, 30), time(18), time(23)]))
    at = datetime.combine(day, moment, ZoneInfo(zone)).astimezone(UTC)
    near = st.sampled_from([-1, -1, 0, 1]) | st.integers(-3, 3)
    return calendar, microseconds_of(at) + draw(near | st.integers(-(10**10), 10**10))


@settings(max_examples=500, deadline=None)
@given(edges())
def test_the_memo_hours_give_exactly_the_local_day_and_entry(
    edge: tuple[BranchCalendar, int],
) -> None:
    calendar, at = edge
    memo = DeadlineMemo(calendar)
    for neighbour in (at - HOUR_US, at + HOUR_US, at):
        memo.learn_hour(neighbour // HOUR_US)
    _, day, bucket = memo.entry(instant(at))

    assert memo.entry_key(at) == (day, bucket)
    assert memo.day_of(at) == memo.local_day(instant(at)).toordinal() == day


@settings(max_examples=500, deadline=None)
@given(
    edges(),
    st.lists(st.integers(0, 10**12), min_size=1, max_size=3),
    st.sampled_from([0.0, 0.4, 0.5, 0.6, 0.9]),
)
@example(  # a microsecond before midnight, plus 0.6 µs: midnight exactly (the next day)
    (
        BranchCalendar("America/Sao_Paulo", {}),
        microseconds_of(datetime(2026, 5, 5, tzinfo=ZoneInfo("America/Sao_Paulo"))) - 1,
    ),
    [10**11],
    0.6,
)
def test_replayed_deliveries_fall_on_exactly_their_local_day(
    edge: tuple[BranchCalendar, int], stays: list[int], fraction: float
) -> None:
    # Deliveries on (or a microsecond around) the edge, from totals with parts of a µs.
    calendar, at = edge
    memo = DeadlineMemo(calendar)
    totals = [(us + fraction) / 1e6 for us in stays]
    opened = [at - us for us in stays]
    block = HistoryBlock(
        "b",
        ["id"] * len(stays),
        ["N"] * len(stays),
        opened,
        opened,
        [None] * len(stays),
        {},
        [0.0] * len(stays),
    )

    days = delivery_days(block, totals, memo)

    assert days == [
        memo.local_day(instant(o) + timedelta(seconds=t)).toordinal()
        for o, t in zip(opened, totals, strict=True)
    ]
