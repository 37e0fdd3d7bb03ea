"""The board: open orders of one service type as columns of cards, most urgent first.

Workflow builds the board (``GET /api/v1/orders/board``): per stage, how many open orders it
holds and its ``CARDS_PER_COLUMN`` most urgent (overdue first, then at risk, then on track;
within each, the stage due soonest first; then the order number), with the counters (open, at
risk, overdue, "entregar hoje": promised for today at the order's branch) over all of them.
Here:
- One column per stage of the flow, in the flow's order, empty ones too; an order whose stage is
  no longer in the flow (an older version) goes to the column with its stage name, after the
  others.
- A column shows its cards and says how many more there are (a column of hundreds of cards
  helps nobody; the counters still count every order).
- A card changed in the last ``FRESH`` seconds is marked fresh, so a live update is seen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
RISK_LABELS = {"overdue": "atrasada", "at_risk": "em risco", "on_track": "no prazo"}


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
    )


def build_board(
    stages: Sequence[Mapping[str, Any]],
    answer: Mapping[str, Any],
    zones: Mapping[str, str],
    now: datetime,
) -> Board:
    """Columns for ``stages`` (each with ``key`` and ``name``) filled from workflow's board
    ``answer``. ``zones`` maps a branch id to its time zone."""
    columns = {str(s["key"]): Column(str(s["key"]), str(s["name"])) for s in stages}
    for shown in answer["columns"]:
        key = str(shown.get("stage_key"))
        if key not in columns:
            columns[key] = Column(key, str(shown.get("stage_name") or key))
        column = columns[key]
        column.cards = [
            card_of(order, zones.get(str(order.get("branch_id"))), now) for order in shown["orders"]
        ]
        column.more = max(0, int(shown["count"]) - len(column.cards))
    counters = answer["counters"]
    return Board(
        columns=list(columns.values()),
        counters=Counters(
            int(counters["open"]),
            int(counters["at_risk"]),
            int(counters["overdue"]),
            int(counters["deliver_today"]),
        ),
    )
