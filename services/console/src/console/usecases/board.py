"""The board of one service type: its flow's stages as columns, the open orders as cards."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from console.adapters.api_client import ApiClient, Service
from console.domain.board import CARDS_PER_COLUMN, Board, build_board
from console.usecases.directory import Directory

EMPTY_COUNTERS = {"open": 0, "at_risk": 0, "overdue": 0, "deliver_today": 0}


@dataclass(frozen=True, slots=True)
class BoardFilters:
    service_type: str | None = None
    branch: str | None = None
    risk: str | None = None
    assignee: str | None = None
    text: str | None = None

    def query(self) -> dict[str, str]:
        return {
            name: value
            for name in ("service_type", "branch", "risk", "assignee", "text")
            if (value := getattr(self, name))
        }


@dataclass(frozen=True, slots=True)
class BoardPage:
    board: Board
    service_types: list[dict[str, Any]]
    service_type: dict[str, Any] | None
    assignees: list[str]
    filters: BoardFilters


async def load_board(
    api: ApiClient, token: str, directory: Directory, filters: BoardFilters, now: datetime
) -> BoardPage:
    types = await api.get_all(Service.WORKFLOW, "/api/v1/service-types", token=token)
    active = [t for t in types if t.get("active", True)]
    chosen = next((t for t in active if t["code"] == filters.service_type), None)
    if chosen is None and active:
        chosen = await _busiest(api, token, active, filters.branch)
    answer: dict[str, Any] = {"columns": [], "counters": EMPTY_COUNTERS, "assignees": []}
    if chosen is not None:
        params: dict[str, str | int | list[str]] = {
            "service_type": chosen["code"],
            "per_column": CARDS_PER_COLUMN,
        }
        for name in ("branch", "risk", "assignee", "text"):
            if value := getattr(filters, name):
                params[name] = value
        answer = await api.get(Service.WORKFLOW, "/api/v1/orders/board", token=token, params=params)
    board = build_board(chosen["stages"] if chosen else [], answer, directory.zones(), now)
    assignees = [str(name) for name in answer["assignees"]]
    if filters.assignee and filters.assignee != "me" and filters.assignee not in assignees:
        assignees.append(filters.assignee)
    return BoardPage(
        board=board,
        service_types=active,
        service_type=chosen,
        assignees=assignees,
        filters=BoardFilters(
            service_type=chosen["code"] if chosen else None,
            branch=filters.branch,
            risk=filters.risk,
            assignee=filters.assignee,
            text=filters.text,
        ),
    )


async def _busiest(
    api: ApiClient, token: str, types: list[dict[str, Any]], branch: str | None
) -> dict[str, Any]:
    """The type with the most open orders among the newest 200: what the shop works on most."""
    params: dict[str, str | int | list[str]] = {"status": "open", "limit": 200}
    if branch:
        params["branch"] = branch
    page = await api.get(Service.WORKFLOW, "/api/v1/orders", token=token, params=params)
    counts = Counter(str(order["service_type"]) for order in page["items"])
    return max(types, key=lambda t: (counts[str(t["code"])], -types.index(t)))
