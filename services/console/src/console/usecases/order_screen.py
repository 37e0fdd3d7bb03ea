"""The order screen: intake's order, workflow's progress and story, the notifier's messages.

An order another branch or chain owns is "not found" (the APIs answer 404 and nothing leaks).
An order intake has but workflow has not placed yet is shown from intake's data, marked as
processing, so the page right after the counter form never says "not found".
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from console.adapters.api_client import ApiClient, ApiRefusal, Service, ServiceDown
from console.domain.action_outcome import Outcome, find_outcome
from console.domain.order_view import (
    CompletionFact,
    Step,
    completion_fact,
    newest_first,
    progress_line,
)
from console.domain.permissions import Action, actions_for, stage_place
from console.usecases.directory import Directory


class OrderNotFound(Exception):
    """The order does not exist for this person (or belongs to a branch they cannot see)."""


@dataclass(frozen=True, slots=True)
class PendingAction:
    """An action sent from this page, whose outcome the page looks for on the timeline."""

    action: str
    requested_at: datetime
    actor: str | None


@dataclass(frozen=True, slots=True)
class OrderScreen:
    order_id: str
    intake: dict[str, Any]
    flow: dict[str, Any] | None
    """Workflow's order detail; ``None`` while workflow has not placed the order yet."""
    zone: str | None
    branch_label: str
    service_type_name: str
    steps: list[Step]
    timeline: list[Any]
    messages: list[dict[str, Any]] | None
    """The SMS; ``None`` when the notifier could not be asked."""
    actions: tuple[Action, ...]
    pending: PendingAction | None = None
    outcome: Outcome | None = None
    stage_names: dict[str, str] = field(default_factory=dict)
    people: list[dict[str, Any]] = field(default_factory=list)
    """Who may take the order (its branch's people), for the assign form."""
    completion: CompletionFact | None = None
    """The second date: delivered, cancelled, ready since, or the forecast."""

    @property
    def processing(self) -> bool:
        return self.flow is None

    @property
    def current_stage(self) -> dict[str, Any] | None:
        if self.flow is None:
            return None
        entries = [e for e in self.flow.get("stages") or [] if not e.get("exited_at")]
        return entries[-1] if entries else None


async def load_order_screen(
    api: ApiClient,
    token: str,
    directory: Directory,
    role: str,
    order_id: str,
    pending: PendingAction | None = None,
) -> OrderScreen:
    intake_order, flow, messages = await asyncio.gather(
        _intake_order(api, token, order_id),
        workflow_order(api, token, order_id),
        _messages(api, token, order_id),
    )
    branch = directory.branch(str(intake_order["branch_id"]))
    zone = branch.timezone if branch else None
    flow_stages, type_name = await _flow_stages(api, token, intake_order, flow)
    steps = progress_line(flow_stages, flow, zone) if flow else []
    place = stage_place(flow_stages, flow.get("stage_key")) if flow else None
    actions = actions_for(role, str(flow["status"]), place) if flow else ()
    people = (
        await people_of_branch(api, token, str(intake_order["branch_id"]))
        if Action.ASSIGN in actions
        else []
    )
    outcome = None
    if pending is not None and flow is not None:
        outcome = find_outcome(
            flow["timeline"], pending.action, pending.requested_at, pending.actor
        )
    return OrderScreen(
        order_id=order_id,
        intake=intake_order,
        flow=flow,
        zone=zone,
        branch_label=branch.label if branch else "",
        service_type_name=type_name,
        steps=steps,
        timeline=newest_first(flow["timeline"]) if flow else [],
        messages=messages,
        actions=actions,
        pending=pending,
        outcome=outcome,
        stage_names={str(s["key"]): str(s["name"]) for s in flow_stages},
        people=people,
        completion=completion_fact(flow, bool(place and place.last), zone) if flow else None,
    )


async def people_of_branch(api: ApiClient, token: str, branch_id: str) -> list[dict[str, Any]]:
    """Who may take the branch's orders (workflow's copy of the chain's people); empty when
    workflow cannot say, and the form then takes a name."""
    try:
        return await api.get_all(
            Service.WORKFLOW, "/api/v1/people", token=token, params={"branch": branch_id}
        )
    except (ApiRefusal, ServiceDown):
        return []


async def _intake_order(api: ApiClient, token: str, order_id: str) -> dict[str, Any]:
    try:
        order: dict[str, Any] = await api.get(
            Service.INTAKE, f"/api/v1/orders/{order_id}", token=token
        )
    except ApiRefusal as refusal:
        if refusal.status in (403, 404):
            raise OrderNotFound(order_id) from None
        raise
    return order


async def workflow_order(api: ApiClient, token: str, order_id: str) -> dict[str, Any] | None:
    """Workflow's detail of the order, or ``None`` while workflow does not have it yet."""
    try:
        detail: dict[str, Any] = await api.get(
            Service.WORKFLOW, f"/api/v1/orders/{order_id}", token=token
        )
    except ApiRefusal as refusal:
        if refusal.status == 404:
            return None
        raise
    return detail


async def _messages(api: ApiClient, token: str, order_id: str) -> list[dict[str, Any]] | None:
    try:
        page = await api.get(
            Service.NOTIFIER,
            "/api/v1/messages",
            token=token,
            params={"order_id": order_id, "limit": 200},
        )
    except (ApiRefusal, ServiceDown):
        return None  # the rest of the order is still worth showing
    items: list[dict[str, Any]] = page["items"]
    return sorted(items, key=lambda m: str(m.get("created_at")))


async def _flow_stages(
    api: ApiClient, token: str, intake_order: dict[str, Any], flow: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], str]:
    """The stages of the order's flow version and the service type's name."""
    code = str(intake_order["service_type"])
    version = flow.get("flow_version") if flow else None
    path = f"/api/v1/service-types/{code}" + (f"/versions/{version}" if version else "")
    try:
        found = await api.get(Service.WORKFLOW, path, token=token)
    except ApiRefusal:
        entries = (flow or {}).get("stages") or []
        return [{"key": e["stage_key"], "name": e["stage_name"]} for e in entries], code
    return list(found.get("stages") or []), str(found.get("name") or code)
