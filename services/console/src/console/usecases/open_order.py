"""The counter form's calls: what to choose from, the proposed date, opening the order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from console.adapters.api_client import ApiClient, ApiRefusal, Service
from console.domain.formatting import parse_day


@dataclass(frozen=True, slots=True)
class CounterChoices:
    service_types: list[dict[str, Any]]
    labs: list[dict[str, Any]] | None
    """The chain's labs; ``None`` when this person may not read them (the field is hidden)."""


@dataclass(frozen=True, slots=True)
class Quote:
    promised_date: date
    explanation: str
    stage_count: int


async def counter_choices(api: ApiClient, token: str) -> CounterChoices:
    types = await api.get_all(Service.WORKFLOW, "/api/v1/service-types", token=token)
    try:
        labs: list[dict[str, Any]] | None = await api.get_all(
            Service.INTAKE, "/api/v1/labs", token=token
        )
    except ApiRefusal:
        labs = None
    return CounterChoices([t for t in types if t.get("active", True)], labs)


async def quote(api: ApiClient, token: str, branch_id: str, service_type: str) -> Quote | None:
    """The proposed promised date for an order opened now; ``None`` for an unknown choice."""
    if not branch_id or not service_type:
        return None
    try:
        found = await api.get(
            Service.WORKFLOW,
            "/api/v1/quote",
            token=token,
            params={"service_type": service_type, "branch": branch_id},
        )
    except ApiRefusal as refusal:
        if refusal.status in (400, 404):
            return None
        raise
    promised = parse_day(found["promised_date"])
    assert promised is not None
    return Quote(promised, str(found["explanation"]), len(found.get("stages") or []))


async def open_order(
    api: ApiClient, token: str, body: dict[str, Any], idempotency_key: str
) -> dict[str, Any]:
    """Intake's order (the same one again for a repeated key); :class:`ApiRefusal` if refused."""
    opened: dict[str, Any] = await api.post(
        Service.INTAKE,
        "/api/v1/orders",
        token=token,
        json=body,
        headers={"Idempotency-Key": idempotency_key},
    )
    return opened
