"""The chaos suite's counting: lost, extra and duplicated SMS, and recovery time."""

from __future__ import annotations

from notifier.domain import delivery
from tests.chaos import runner
from tests.chaos.measure import Request, deliveries, recovery_time


def test_lost_extra_and_both_kinds_of_duplicate_are_counted_apart() -> None:
    requests = [
        Request("o1:1", 200, 1.0),
        Request("o1:1", 200, 2.0),  # a repeat the provider dropped by key
        Request("o1:3", 500, 3.0),  # failed, then retried and accepted
        Request("o1:3", 200, 4.0),
        Request("o9:7", 200, 5.0),  # no action caused it
        Request("o1:5", 500, 6.0),  # never accepted
    ]
    found = deliveries({"o1:1", "o1:3", "o1:5"}, requests)
    assert (found.lost, found.extra) == (1, 1)
    assert found.dup_raw == 2  # o1:1 twice, o1:3 twice (one of them a 500)
    assert found.dup_no_key == 1  # only o1:1 reached the customer twice


def test_older_news_the_notifier_suppressed_is_not_lost_when_a_later_entry_went_out() -> None:
    requests = [Request("o1:1", 200, 1.0), Request("o1:5", 200, 2.0), Request("o2:1", 200, 3.0)]
    expected = {"o1:1", "o1:3", "o1:5", "o2:1", "o2:3", "o2:5"}
    # o1:3 was overtaken by o1:5, which went out; o2's entries 3 and 5 never did: o2:3's
    # suppression names no SMS the customer got after it, so it is lost, as is o2:5
    found = deliveries(expected, requests, older_news={"o1:3", "o2:3", "o9:1"})
    assert (found.lost, found.older_news, found.extra) == (2, 1, 0)
    assert deliveries(expected, requests).lost == 3
    assert found.lost_keys == ("o2:3", "o2:5")


def test_the_suite_names_the_notifiers_reason_for_older_news_as_the_notifier_does() -> None:
    assert runner.OLDER_NEWS == delivery.OLDER_NEWS


def test_recovery_is_when_a_window_reaches_ninety_percent_of_the_rate_before() -> None:
    before = [Request(f"a{i}", 200, i * 0.5) for i in range(20)]  # 2 a second for 10 s
    after = [Request(f"b{i}", 200, 30 + i * 0.5) for i in range(20)]  # nothing for 20 s
    found = recovery_time([*before, *after], fault_start=10, baseline_from=0, until=60)
    assert found is not None
    assert 22 <= found <= 24
    assert recovery_time(before, fault_start=10, baseline_from=0, until=60) is None
