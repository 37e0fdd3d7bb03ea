"""The bench's split of an SMS's time into hops (``tests.bench.e2e_hops``): the join of the
three databases' rows by correlation id, and a step's line."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.bench import e2e_hops
from tests.bench.e2e_measure import Step

T0 = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


def ms(n: float) -> datetime:
    return T0 + timedelta(milliseconds=n)


class Rows:
    """The rows the join reads, from each database, built one SMS at a time."""

    def __init__(self) -> None:
        self.actions: dict[str, dict[str, Any]] = {}
        self.applied: dict[uuid.UUID, datetime] = {}
        self.changes: dict[str, dict[str, Any]] = {}
        self.noted: dict[uuid.UUID, datetime] = {}
        self.sent: list[dict[str, Any]] = []

    def sms(self, correlation_id: str, at: list[float], *, applied: bool = True) -> None:
        """One SMS's rows, its six times ``at`` (ms after T0) in the order of the hops."""
        action_id, change_id = uuid.uuid4(), uuid.uuid4()
        self.actions[correlation_id] = {
            "message_id": action_id,
            "created_at": ms(at[0]),
            "published_at": ms(at[1]),
        }
        if applied:
            self.applied[action_id] = ms(at[2])
        self.changes[correlation_id] = {"message_id": change_id, "published_at": ms(at[3])}
        self.noted[change_id] = ms(at[4])
        self.sent.append({"correlation_id": correlation_id, "sent_at": ms(at[5])})

    def join(self) -> list[e2e_hops.SmsHops]:
        return e2e_hops.join_hops(self.actions, self.applied, self.changes, self.noted, self.sent)


def test_each_sms_is_joined_by_its_correlation_id_and_one_missing_a_time_is_left_out() -> None:
    rows = Rows()
    rows.sms("req-1", [0, 5, 20, 40, 55, 100])
    rows.sms("req-2", [1000, 1001, 1003, 1010, 1012, 1050])
    rows.sms("req-3", [2000, 2001, 2002, 2003, 2004, 2005], applied=False)
    rows.sent.append({"correlation_id": "no-such-action", "sent_at": T0})

    hops = rows.join()

    assert [h.recorded_at for h in hops] == [T0, ms(1000)]
    assert [[round(s * 1000, 3) for s in h.seconds] for h in hops] == [
        [5, 15, 20, 15, 45],
        [1, 2, 7, 2, 38],
    ]


def test_a_step_line_counts_the_sms_whose_action_was_recorded_during_it() -> None:
    step = Step(rate=100, seconds=1, begin=T0.timestamp())
    inside = [
        e2e_hops.SmsHops(ms(10 * n), (0.001 * n, 0.002, 0.003, 0.004, 0.020)) for n in range(1, 11)
    ]
    outside = [e2e_hops.SmsHops(ms(1000), (9.0, 9.0, 9.0, 9.0, 9.0))]

    line = e2e_hops.hop_line(inside + outside, step)

    assert line == (
        "an SMS's hops, ms p50/p95/p99 (10 SMS, database times): action"
        " → relayed 5/10/10 → workflow batch 2/2/2 → workflow relayed 3/3/3"
        " → notifier batch 4/4/4 → sent 20/20/20"
    )
    assert e2e_hops.hop_line(outside, step) is None
