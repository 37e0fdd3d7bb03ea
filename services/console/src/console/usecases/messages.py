"""Mensagens: the notifier's SMS list with filters, and the opt-outs staff see and set."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote

from console.adapters.api_client import ApiClient, Service

PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class MessageFilters:
    status: str | None = None
    branch: str | None = None
    created_from: date | None = None
    created_to: date | None = None
    order_number: str | None = None
    offset: int = 0

    def query(self, offset: int) -> dict[str, str]:
        values = {
            "status": self.status or "",
            "filial": self.branch or "",
            "de": self.created_from.strftime("%d/%m/%Y") if self.created_from else "",
            "ate": self.created_to.strftime("%d/%m/%Y") if self.created_to else "",
            "os": self.order_number or "",
            "desde": str(offset) if offset else "",
        }
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True, slots=True)
class MessageList:
    messages: list[dict[str, Any]]
    next_offset: int | None
    opt_outs: list[dict[str, Any]]
    errors: dict[str, str] = field(default_factory=dict)


async def load_messages(api: ApiClient, token: str, filters: MessageFilters) -> MessageList:
    errors: dict[str, str] = {}
    params: dict[str, str | int | list[str]] = {"limit": PAGE_SIZE, "offset": filters.offset}
    for name, value in (
        ("status", filters.status),
        ("branch", filters.branch),
        ("created_from", filters.created_from),
        ("created_to", filters.created_to),
    ):
        if value:
            params[name] = str(value)
    if filters.order_number:
        order_id = await _order_id(api, token, filters.order_number)
        if order_id is None:
            errors["os"] = f"Nenhuma OS com o número {filters.order_number}."
            return MessageList([], None, await _opt_outs(api, token), errors)
        params["order_id"] = order_id
    body = await api.get(Service.NOTIFIER, "/api/v1/messages", token=token, params=params)
    return MessageList(body["items"], body.get("next_offset"), await _opt_outs(api, token))


async def _order_id(api: ApiClient, token: str, number: str) -> str | None:
    found = await api.get(
        Service.WORKFLOW, "/api/v1/orders", token=token, params={"text": number, "limit": 20}
    )
    return next(
        (str(o["order_id"]) for o in found["items"] if str(o["number"]).upper() == number.upper()),
        None,
    )


async def _opt_outs(api: ApiClient, token: str) -> list[dict[str, Any]]:
    body = await api.get(Service.NOTIFIER, "/api/v1/opt-outs", token=token, params={"limit": 100})
    items: list[dict[str, Any]] = body["items"]
    return items


async def add_opt_out(api: ApiClient, token: str, phone: str) -> None:
    await api.post(Service.NOTIFIER, "/api/v1/opt-outs", token=token, json={"phone": phone})


async def remove_opt_out(api: ApiClient, token: str, phone: str) -> None:
    path = f"/api/v1/opt-outs/{quote(phone, safe='')}"
    await api.request(Service.NOTIFIER, "DELETE", path, token=token)
