"""The process review through workflow, with the person's token: schedules, the review's
figures, the what-if, suggestions, saving the draft as a new version, recording the review."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from console.adapters.api_client import ApiClient, ApiRefusal, Service

Json = dict[str, Any]


def _path(code: str, tail: str = "") -> str:
    return f"/api/v1/service-types/{quote(code, safe='')}{tail}"


async def schedules(api: ApiClient, token: str, *, mine: bool = False) -> list[Json]:
    params: dict[str, str | int | list[str]] = {"owner": "me"} if mine else {}
    body = await api.get(Service.WORKFLOW, "/api/v1/process-reviews", token=token, params=params)
    items: list[Json] = body["items"]
    return items


async def review_notices(api: ApiClient, token: str, role: str) -> list[Json]:
    """The board's banner: the person's own due or late reviews; a chain admin sees every
    type's (late ones included)."""
    try:
        items = await schedules(api, token, mine=role != "chain_admin")
    except ApiRefusal:
        return []
    return [s for s in items if s["review_state"] in ("due", "late")]


@dataclass(frozen=True, slots=True)
class ReviewData:
    review: Json
    service_type: Json
    suggestions: Json
    history: list[Json]


async def load_review(api: ApiClient, token: str, code: str, branch: str | None) -> ReviewData:
    params: dict[str, str | int | list[str]] = {"branch": branch} if branch else {}
    review, service_type, suggestions, history = await asyncio.gather(
        api.get(Service.WORKFLOW, _path(code, "/review"), token=token, params=params),
        api.get(Service.WORKFLOW, _path(code), token=token),
        api.get(
            Service.WORKFLOW, _path(code, "/planned-days-suggestions"), token=token, params=params
        ),
        api.get(Service.WORKFLOW, _path(code, "/reviews"), token=token, params={"limit": 20}),
    )
    return ReviewData(review, service_type, suggestions, history["items"])


async def what_if(
    api: ApiClient, token: str, code: str, stages: list[Json], branch: str | None
) -> Json:
    body: Json = {"stages": stages}
    if branch:
        body["branch"] = branch
    result: Json = await api.post(Service.WORKFLOW, _path(code, "/what-if"), token=token, json=body)
    return result


async def save_version(
    api: ApiClient, token: str, code: str, name: str, stages: list[Json]
) -> Json:
    saved: Json = await api.request(
        Service.WORKFLOW,
        "PUT",
        _path(code),
        token=token,
        json={"name": name, "active": True, "stages": stages},
    )
    return saved


async def record_review(
    api: ApiClient, token: str, code: str, findings: str, decisions: str, version: int | None
) -> Json:
    body: Json = {"findings": findings, "decisions": decisions}
    if version is not None:
        body["resulting_version"] = version
    recorded: Json = await api.post(
        Service.WORKFLOW, _path(code, "/reviews"), token=token, json=body
    )
    return recorded
