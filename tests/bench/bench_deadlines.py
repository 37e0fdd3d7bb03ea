"""Deadline computations per second on one core, against a bare ``timedelta`` baseline.

Run: ``uv run python -m tests.bench.bench_deadlines [--count N] [--rounds R] [--seed S]``

The mix is what a São Paulo city branch sees: 1–15 planned days, business and calendar
counting, entries at any instant of 2026–2027, Carnival observed. Each figure is the best of a
few rounds (the least disturbed by the rest of the machine). The target is at least 100,000
deadlines per second; nothing here fails when it is missed, it is a number to watch.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from workflow.adapters.holidays import OptionalDay, build_branch_calendar
from workflow.domain.calendar import BranchCalendar, DayCounting
from workflow.domain.deadlines import compute_deadline

TARGET_PER_SECOND = 100_000
ZONE = ZoneInfo("America/Sao_Paulo")

Case = tuple[datetime, int, DayCounting]


def sao_paulo_branch() -> BranchCalendar:
    return build_branch_calendar(
        "SP",
        "São Paulo",
        "America/Sao_Paulo",
        years=(2026, 2027, 2028),
        optional_days=frozenset({OptionalDay.CARNIVAL_MONDAY, OptionalDay.CARNIVAL_TUESDAY}),
    )


def realistic_cases(count: int, seed: int) -> list[Case]:
    rng = random.Random(seed)
    first = datetime(2026, 1, 1, tzinfo=ZONE)
    seconds = int((datetime(2028, 1, 1, tzinfo=ZONE) - first).total_seconds())
    countings = (DayCounting.BUSINESS, DayCounting.CALENDAR)
    return [
        (
            first + timedelta(seconds=rng.randrange(seconds)),
            rng.randint(1, 15),
            rng.choice(countings),
        )
        for _ in range(count)
    ]


def best_rate(run: Callable[[], None], count: int, rounds: int) -> float:
    """Operations per second of the fastest of ``rounds`` runs of ``count`` operations."""
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - began)
    return count / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    arguments = parser.parse_args()

    calendar = sao_paulo_branch()
    cases = realistic_cases(arguments.count, arguments.seed)
    compute_deadline(cases[0][0], 1, DayCounting.BUSINESS, calendar)  # build the day index

    def deadlines() -> None:
        for start, planned, counting in cases:
            compute_deadline(start, planned, counting, calendar)

    def baseline() -> None:
        for start, planned, _ in cases:
            start + timedelta(days=planned)

    engine = best_rate(deadlines, len(cases), arguments.rounds)
    bare = best_rate(baseline, len(cases), arguments.rounds)
    verdict = "meets" if engine >= TARGET_PER_SECOND else "MISSES"
    print(f"cases: {len(cases):,} (1–15 days, business and calendar, 2026–2027, São Paulo)")
    print(f"deadlines/s:  {engine:>12,.0f}  ({verdict} the {TARGET_PER_SECOND:,}/s target)")
    print(f"baseline/s:   {bare:>12,.0f}  (start + timedelta(days=n))")
    print(f"ratio:        {bare / engine:>12.1f}x slower than the bare timedelta")


if __name__ == "__main__":
    main()
