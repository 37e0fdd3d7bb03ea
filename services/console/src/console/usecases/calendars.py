"""Branch calendars (workflow) and the SMS sending window (intake), with the person's token.

Workflow lets a chain administrator or the branch's manager change its calendar and only an
administrator choose the chain's optional days; intake lets only an administrator change a
branch (its SMS window). The console shows the forms to those people and the APIs decide.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from console.adapters.api_client import ApiClient, ApiRefusal, Service
from console.domain.problems import field_errors, in_portuguese

Json = dict[str, Any]
AHEAD_DAYS = 90


@dataclass(frozen=True, slots=True)
class CalendarPage:
    calendar: Json
    optional_days: Json
    branch: Json


@dataclass(frozen=True, slots=True)
class Saved:
    ok: bool
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""
    status: int = 200


def _calendar_path(branch_id: str) -> str:
    return f"/api/v1/branches/{branch_id}/calendar"


async def load_calendar(api: ApiClient, token: str, branch_id: str, today: date) -> CalendarPage:
    calendar = await api.get(
        Service.WORKFLOW,
        _calendar_path(branch_id),
        token=token,
        params={"from": today.isoformat(), "to": (today + timedelta(days=AHEAD_DAYS)).isoformat()},
    )
    optional = await api.get(Service.WORKFLOW, "/api/v1/calendar/optional-days", token=token)
    return CalendarPage(calendar, optional, await load_branch(api, token, branch_id))


async def load_branch(api: ApiClient, token: str, branch_id: str) -> Json:
    """The branch as intake has it (its SMS sending window lives there)."""
    branch: Json = await api.get(Service.INTAKE, f"/api/v1/branches/{branch_id}", token=token)
    return branch


async def save_calendar(api: ApiClient, token: str, branch_id: str, body: Json) -> Saved:
    return await _put(api, Service.WORKFLOW, _calendar_path(branch_id), token, body)


async def save_optional_days(api: ApiClient, token: str, chosen: list[str]) -> Saved:
    return await _put(
        api,
        Service.WORKFLOW,
        "/api/v1/calendar/optional-days",
        token,
        {"optional_days": chosen},
    )


async def save_branch(api: ApiClient, token: str, branch_id: str, body: Json) -> Saved:
    return await _put(api, Service.INTAKE, f"/api/v1/branches/{branch_id}", token, body)


async def _put(api: ApiClient, service: Service, path: str, token: str, body: Json) -> Saved:
    try:
        await api.request(service, "PUT", path, token=token, json=body)
    except ApiRefusal as refusal:
        return refused(refusal, _SENDING_WINDOW_FIELDS if service is Service.INTAKE else None)
    return Saved(ok=True)


# intake names the window's fields inside ``sending_window``; the form has its own names
_SENDING_WINDOW_FIELDS = {
    "sending_window-starts_at": "sms-inicio",
    "sending_window-ends_at": "sms-fim",
    "sending_window-weekdays": "sms-dias",
    "sending_window": "sms-inicio",
}


def calendar_form_field(name: str) -> str:
    """Workflow's calendar field → the page's form field (the add-a-day form for a day)."""
    name = re.sub(r"^(?:closures|municipal_holidays)-\d+-date$", "data", name)
    name = re.sub(r"^(?:closures|municipal_holidays)-\d+-description$", "descricao", name)
    name = re.sub(r"^closing_by_weekday-(\d)$", r"fecha-\1", name)
    return {"working_weekdays": "dias", "opens_at": "abre", "closes_at": "fecha"}.get(name, name)


def refused(refusal: ApiRefusal, renames: Mapping[str, str] | None) -> Saved:
    found = field_errors(refusal.fields).items()
    if renames is None:
        errors = {calendar_form_field(k): v for k, v in found}
    else:
        errors = {renames.get(k, k): v for k, v in found}
    if refusal.status == 403:
        message = refusal.message
    elif errors:
        message = "Corrija os campos indicados; nada foi salvo."
    else:
        message = in_portuguese(refusal.message)
    return Saved(ok=False, errors=errors, message=message, status=refusal.status)
