"""The order search: workflow's order list, filtered, one page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from console.adapters.api_client import ApiClient, Service

PAGE_SIZE = 25


@dataclass(frozen=True, slots=True)
class SearchFilters:
    text: str = ""
    status: str = ""
    branch: str = ""
    service_type: str = ""
    risk: str = ""
    offset: int = 0
    assignee: str = ""
    """``me``: the person's own work list (Minhas OS)."""

    def query(self, offset: int | None = None) -> dict[str, str | int]:
        """The page's own query string (Portuguese names), for links and pagination."""
        values: dict[str, str | int] = {
            "busca": self.text,
            "situacao": self.status,
            "filial": self.branch,
            "tipo": self.service_type,
            "risco": self.risk,
            "responsavel": self.assignee,
            "inicio": self.offset if offset is None else offset,
        }
        return {k: v for k, v in values.items() if v not in ("", 0)}


@dataclass(frozen=True, slots=True)
class SearchPage:
    orders: list[dict[str, Any]]
    filters: SearchFilters
    service_types: dict[str, str]
    previous_offset: int | None
    next_offset: int | None


async def search_orders(api: ApiClient, token: str, filters: SearchFilters) -> SearchPage:
    params: dict[str, str | int | list[str]] = {
        "text": filters.text,
        "status": filters.status,
        "branch": filters.branch,
        "service_type": filters.service_type,
        "risk": filters.risk,
        "assignee": filters.assignee,
        "limit": PAGE_SIZE,
        "offset": filters.offset,
    }
    page = await api.get(Service.WORKFLOW, "/api/v1/orders", token=token, params=params)
    types = await api.get_all(Service.WORKFLOW, "/api/v1/service-types", token=token)
    previous = max(filters.offset - PAGE_SIZE, 0) if filters.offset > 0 else None
    return SearchPage(
        orders=list(page["items"]),
        filters=filters,
        service_types={str(t["code"]): str(t["name"]) for t in types},
        previous_offset=previous,
        next_offset=page.get("next_offset"),
    )
