"""Each stage's default responsible person per branch (the flow page), through workflow.

The page shows a grid: the latest flow's stages down, the person's branches across, in each
cell the branch's people to pick from (workflow's ``/api/v1/people?branch=``). Saving sends
every cell (an empty one clears the stage's person in that branch); workflow checks each and
refuses all or nothing, naming the cell.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from console.adapters.api_client import ApiClient, ApiRefusal, Service
from console.usecases.directory import Branch, Directory

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ResponsiblesView:
    stages: list[Json]
    """The latest flow's stages, each with ``key``, ``name``, ``responsible_role``."""
    branches: list[Branch]
    chosen: dict[str, str]
    """Field name (``resp|<stage>|<branch>``) → the person's user id."""
    not_eligible: dict[str, str]
    """Field name → the name of a person who may no longer take the branch's orders."""
    people: dict[str, list[Json]]
    """Branch id → who may take its orders."""
    errors: dict[str, str] = field(default_factory=dict)


def field_name(stage_key: str, branch_id: str) -> str:
    return f"resp|{stage_key}|{branch_id}"


def _path(code: str) -> str:
    return f"/api/v1/service-types/{quote(code, safe='')}/responsibles"


async def load_responsibles(
    api: ApiClient, token: str, code: str, directory: Directory
) -> ResponsiblesView:
    current: Json = await api.get(Service.WORKFLOW, _path(code), token=token)
    branches = list(directory.branches)
    lists = await asyncio.gather(
        *(
            api.get_all(
                Service.WORKFLOW, "/api/v1/people", token=token, params={"branch": b.branch_id}
            )
            for b in branches
        )
    )
    chosen: dict[str, str] = {}
    not_eligible: dict[str, str] = {}
    for stage in current["stages"]:
        for cell in stage["branches"]:
            name = field_name(str(stage["key"]), str(cell["branch_id"]))
            chosen[name] = str(cell["user_id"])
            if not cell["eligible"]:
                not_eligible[name] = str(cell.get("user_name") or cell["user_id"])
    return ResponsiblesView(
        stages=list(current["stages"]),
        branches=branches,
        chosen=chosen,
        not_eligible=not_eligible,
        people={b.branch_id: people for b, people in zip(branches, lists, strict=True)},
    )


def body_from_form(pairs: Iterable[tuple[str, str]]) -> list[Json]:
    """Every ``resp|<stage>|<branch>`` field as an item (empty: nobody)."""
    items = []
    for name, value in pairs:
        parts = name.split("|")
        if len(parts) != 3 or parts[0] != "resp":
            continue
        items.append({"stage": parts[1], "branch_id": parts[2], "user_id": value.strip() or None})
    return items


async def save_responsibles(
    api: ApiClient, token: str, code: str, items: list[Json]
) -> dict[str, str]:
    """Save the grid; the problems by field name (``_`` for the whole form), empty when saved."""
    if not items:
        return {}
    try:
        await api.request(
            Service.WORKFLOW, "PUT", _path(code), token=token, json={"responsibles": items}
        )
    except ApiRefusal as refusal:
        errors: dict[str, str] = {}
        for where, problem in refusal.fields.items():
            index = where.removeprefix("responsibles[").split("]")[0]
            if index.isdigit() and int(index) < len(items):
                item = items[int(index)]
                errors[field_name(item["stage"], item["branch_id"])] = problem
        return errors or {"_": refusal.message}
    return {}
