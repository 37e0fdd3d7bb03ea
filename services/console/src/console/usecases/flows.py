"""Service types (tipos de OS) and their flows, through workflow with the person's token.

Workflow decides who may change a flow (chain administrators) and what a valid flow is; a
refusal comes back as :class:`SaveOutcome` errors keyed by the form's field names, in
Portuguese, for the editor to show next to each field and in its summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from console.adapters.api_client import ApiClient, ApiRefusal, Service
from console.domain.flow_form import FlowDraft, flow_body, with_active
from console.domain.problems import field_errors, in_portuguese

Json = dict[str, Any]
BASE = "/api/v1/service-types"


@dataclass(frozen=True, slots=True)
class SaveOutcome:
    saved: Json | None = None
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""
    status: int = 200
    """The API's status when it refused (403: the person's role may not change flows)."""


@dataclass(frozen=True, slots=True)
class FlowPage:
    service_type: Json
    versions: list[Json]


def _path(code: str) -> str:
    return f"{BASE}/{quote(code, safe='')}"


async def list_types(api: ApiClient, token: str) -> list[Json]:
    return await api.get_all(Service.WORKFLOW, BASE, token=token)


async def load_type(api: ApiClient, token: str, code: str) -> Json:
    result: Json = await api.get(Service.WORKFLOW, _path(code), token=token)
    return result


async def load_flow_page(api: ApiClient, token: str, code: str) -> FlowPage:
    service_type = await load_type(api, token, code)
    versions = await api.get_all(Service.WORKFLOW, _path(code) + "/versions", token=token)
    return FlowPage(service_type, versions)


async def compare(api: ApiClient, token: str, code: str, older: int, newer: int) -> Json:
    result: Json = await api.get(
        Service.WORKFLOW,
        _path(code) + "/versions/compare",
        token=token,
        params={"from": older, "to": newer},
    )
    return result


async def save_flow(
    api: ApiClient, token: str, draft: FlowDraft, *, existing_code: str | None
) -> SaveOutcome:
    """Create the type (no ``existing_code``) or save a new version of it."""
    body, errors = flow_body(draft, with_code=existing_code is None)
    if errors:
        return SaveOutcome(errors=errors, message="Corrija os campos indicados.", status=400)
    try:
        if existing_code is None:
            saved = await api.post(Service.WORKFLOW, BASE, token=token, json=body)
        else:
            saved = await api.request(
                Service.WORKFLOW, "PUT", _path(existing_code), token=token, json=body
            )
    except ApiRefusal as refusal:
        return refused(refusal)
    return SaveOutcome(saved=saved)


async def switch_active(api: ApiClient, token: str, code: str, active: bool) -> SaveOutcome:
    """Turn a type on or off, keeping its latest flow as it is."""
    try:
        current = await load_type(api, token, code)
        saved = await api.request(
            Service.WORKFLOW, "PUT", _path(code), token=token, json=with_active(current, active)
        )
    except ApiRefusal as refusal:
        return refused(refusal)
    return SaveOutcome(saved=saved)


def refused(refusal: ApiRefusal) -> SaveOutcome:
    errors = field_errors(refusal.fields)
    if refusal.status == 403:
        message = refusal.message
    elif errors:
        message = "Corrija os campos indicados."
    else:
        message = in_portuguese(refusal.message)
    return SaveOutcome(errors=errors, message=message, status=refusal.status)
