"""What a chaos run found, and the Jepsen-style table row it prints (pure: no I/O)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass


@dataclass(frozen=True)
class Request:
    """One request the fake provider recorded."""

    key: str | None
    status: int
    at: float


@dataclass
class Row:
    scenario: str
    run: int
    orders: int
    not_accepted: int
    expected_sms: int
    lost: int
    older_news: int
    extra: int
    dup_raw: int
    dup_no_key: int
    misplaced: int
    refused: int
    dlq_events: int
    dlq_poison: int
    injected: str
    fault_s: float
    recovery_s: float | None
    http_5xx: int
    http_500: int

    @property
    def ok(self) -> bool:
        return (
            self.lost == 0
            and self.extra == 0
            and self.misplaced == 0
            and self.refused == 0
            and self.dlq_events == 0
        )


HEADER = (
    "| scenario | run | orders | not accepted | expected SMS | lost | older news | extra SMS "
    "| dup raw | dup w/o keys | out of place | wrong refusals | DLQ events | DLQ poison | injected "
    "| fault s | recovery s | 5xx (of them 500) |"
)
RULE = "|" + "---|" * HEADER.count(" | ") + "---|"


def format_row(row: Row) -> str:
    recovery = "—" if row.recovery_s is None else f"{row.recovery_s:.1f}"
    cells = [
        row.scenario,
        str(row.run),
        str(row.orders),
        str(row.not_accepted),
        str(row.expected_sms),
        str(row.lost),
        str(row.older_news),
        str(row.extra),
        str(row.dup_raw),
        str(row.dup_no_key),
        str(row.misplaced),
        str(row.refused),
        str(row.dlq_events),
        str(row.dlq_poison),
        row.injected or "—",
        f"{row.fault_s:.0f}",
        recovery,
        f"{row.http_5xx} ({row.http_500})",
    ]
    return "| " + " | ".join(cells) + " |"


def table(rows: Iterable[Row]) -> str:
    return "\n".join([HEADER, RULE, *(format_row(row) for row in rows)])


@dataclass(frozen=True)
class Deliveries:
    lost_keys: tuple[str, ...]
    older_news: int
    extra: int
    dup_raw: int
    dup_no_key: int

    @property
    def lost(self) -> int:
        return len(self.lost_keys)


def deliveries(
    expected: set[str], requests: Sequence[Request], older_news: AbstractSet[str] = frozenset()
) -> Deliveries:
    """Lost: expected keys never accepted. Older news: expected keys (``<order>:<entry>``) the
    notifier suppressed because a later entry's SMS of the order went out first (its rule:
    never older news after newer), counted apart, not lost, when the provider did accept a
    later entry of that order. Extra: keys accepted that no action caused. Dup raw: requests
    beyond the first for a key the provider accepted (retries included). Dup without keys:
    accepted requests beyond the first per key (what a customer would receive from a provider
    that ignores idempotency keys)."""
    accepted = Counter(r.key for r in requests if r.key is not None and r.status == 200)
    sent = Counter(r.key for r in requests if r.key is not None and r.key in accepted)
    latest = _latest_entries(accepted)
    overtaken = {key for key in older_news & expected if _overtaken(key, latest)}
    return Deliveries(
        lost_keys=tuple(sorted(expected - overtaken - set(accepted))),
        older_news=len(overtaken),
        extra=len(set(accepted) - expected),
        dup_raw=sum(n - 1 for n in sent.values()),
        dup_no_key=sum(n - 1 for n in accepted.values()),
    )


def _order_and_entry(key: str) -> tuple[str, int]:
    order, _, entry = key.rpartition(":")
    return order, int(entry)


def _overtaken(key: str, latest: Mapping[str, int]) -> bool:
    """Whether ``key``'s order has a later entry in ``latest`` (each order's highest)."""
    order, entry = _order_and_entry(key)
    return entry < latest.get(order, 0)


def _latest_entries(keys: Iterable[str]) -> dict[str, int]:
    """Each order's highest stage entry among ``keys`` (``<order>:<entry>``; another key, as
    none of the notifier's is, is passed over)."""
    latest: dict[str, int] = {}
    for key in keys:
        if key.rpartition(":")[2].isdigit():
            order, entry = _order_and_entry(key)
            latest[order] = max(entry, latest.get(order, 0))
    return latest


def recovery_time(
    requests: Sequence[Request],
    fault_start: float,
    baseline_from: float,
    until: float,
    window: float = 3.0,
    share: float = 0.9,
) -> float | None:
    """Seconds from the fault until a ``window`` of first deliveries reaches ``share`` of the
    rate before it (resolution: the window); None if it never did before ``until``."""
    firsts: dict[str, float] = {}
    for r in sorted(requests, key=lambda r: r.at):
        if r.key is not None and r.status == 200 and r.key not in firsts:
            firsts[r.key] = r.at
    times = sorted(firsts.values())
    span = fault_start - baseline_from
    if span <= 0:
        return None
    baseline = sum(baseline_from <= t < fault_start for t in times) / span
    if baseline == 0:
        return None
    end = fault_start + window
    while end <= until:
        count = sum(end - window < t <= end for t in times)
        if count / window >= share * baseline:
            return end - fault_start
        end += 0.5
    return None
