"""The board: open orders of one service type as columns of cards, most urgent first.

Rules:
- One column per stage of the flow, in the flow's order; an order whose stage is no longer in
  the flow (an older version) goes to the column with its stage name, after the others.
- Cards sort by urgency: overdue first, then at risk, then on track; within each, the stage due
  soonest first; then the order number.
- Counters: open, at risk, overdue, and "entregar hoje" (promised for today in the shop's day).
- A card changed in the last ``FRESH`` seconds is marked fresh, so a live update is seen.
- A column shows its ``CARDS_PER_COLUMN`` most urgent cards and says how many more there are
  (a column of hundreds of cards helps nobody; the counters still count every order).
- An order listed twice (pages read while orders were being opened) is shown once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from console.domain.formatting import (
    first_name,
    parse_day,
    parse_instant,
    short_day_text,
    short_moment_text,
)

FRESH = timedelta(seconds=6)
CARDS_PER_COLUMN = 60
RISK_ORDER = {"overdue": 0, "at_risk": 1, "on_track": 2}
RISK_LABELS = {"overdue": "atrasada", "at_risk": "em risco", "on_track": "no prazo"}
FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Card:
    order_id: str
    number: str
    customer: str
    risk: str
    risk_label: str
    risk_reason: str | None
    promised: str
    stage_due: str
    assignee: str | None
    lab_forecast: str | None
    paused: bool
    fresh: bool
    sort_key: tuple[Any, ...]


@dataclass(slots=True)
class Column:
    key: str
    name: str
    cards: list[Card] = field(default_factory=list)
    more: int = 0
    """Cards of this column beyond the ones shown."""


@dataclass(frozen=True, slots=True)
class Counters:
    open: int
    at_risk: int
    overdue: int
    deliver_today: int


@dataclass(frozen=True, slots=True)
class Board:
    columns: list[Column]
    counters: Counters


def card_of(order: Mapping[str, Any], zone: str | None, now: datetime) -> Card:
    risk = str(order.get("risk_level") or "on_track")
    due = parse_instant(order.get("stage_due_at"))
    updated = parse_instant(order.get("updated_at"))
    lab_eta = parse_day(order.get("lab_eta"))
    return Card(
        order_id=str(order["order_id"]),
        number=str(order["number"]),
        customer=first_name(str(order.get("customer_name") or "")),
        risk=risk,
        risk_label=RISK_LABELS.get(risk, risk),
        risk_reason=order.get("risk_reason") if risk != "on_track" else None,
        promised=short_day_text(parse_day(order.get("promised_date"))),
        stage_due=short_moment_text(due, zone),
        assignee=order.get("assignee"),
        lab_forecast=short_day_text(lab_eta) if lab_eta else None,
        paused=order.get("status") == "paused",
        fresh=updated is not None and now - updated <= FRESH,
        sort_key=(
            RISK_ORDER.get(risk, 3),
            due or FAR_FUTURE,
            str(order["number"]),
        ),
    )


def build_board(
    stages: Sequence[Mapping[str, Any]],
    orders: Iterable[Mapping[str, Any]],
    zones: Mapping[str, str],
    today: date,
    now: datetime,
    cards_per_column: int = CARDS_PER_COLUMN,
) -> Board:
    """Columns for ``stages`` (each with ``key`` and ``name``) filled with ``orders``.

    ``zones`` maps a branch id to its time zone; ``today`` is the shop's date.
    """
    columns = {str(s["key"]): Column(str(s["key"]), str(s["name"])) for s in stages}
    counts = {"open": 0, "at_risk": 0, "overdue": 0, "today": 0}
    seen: set[str] = set()
    for order in orders:
        if str(order["order_id"]) in seen:
            continue
        seen.add(str(order["order_id"]))
        key = str(order.get("stage_key"))
        if key not in columns:
            columns[key] = Column(key, str(order.get("stage_name") or key))
        columns[key].cards.append(card_of(order, zones.get(str(order.get("branch_id"))), now))
        counts["open"] += 1
        level = order.get("risk_level")
        if level == "at_risk":
            counts["at_risk"] += 1
        elif level == "overdue":
            counts["overdue"] += 1
        if parse_day(order.get("promised_date")) == today:
            counts["today"] += 1
    for column in columns.values():
        column.cards.sort(key=lambda card: card.sort_key)
        column.more = max(0, len(column.cards) - cards_per_column)
        del column.cards[cards_per_column:]
    return Board(
        columns=list(columns.values()),
        counters=Counters(counts["open"], counts["at_risk"], counts["overdue"], counts["today"]),
    )
