"""The order search (``/os``): every order the person may see, filtered, page by page."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from console.domain.board import RISK_LABELS
from console.domain.order_view import STATUS_LABELS
from console.entrypoints.http.pages import Visit, page
from console.usecases.search_orders import SearchFilters, search_orders

STATUS_FILTERS = {
    "open": "abertas",
    "in_progress": "em andamento",
    "paused": "pausadas",
    "delivered": "entregues",
    "cancelled": "canceladas",
    "needs_attention": "precisam de atenção",
}


class SearchController(Controller):
    @get("/os", name="search_orders")
    async def search(
        self,
        request: Request[Any, Any, Any],
        visit: NamedDependency[Visit],
        busca: FromQuery[str] = "",
        situacao: FromQuery[str] = "",
        filial: FromQuery[str | None] = None,
        tipo: FromQuery[str] = "",
        risco: FromQuery[str] = "",
        responsavel: FromQuery[str] = "",
        inicio: FromQuery[int] = 0,
    ) -> Template:
        branch = filial if filial is not None else (visit.branch.branch_id if visit.branch else "")
        filters = SearchFilters(
            text=busca.strip()[:100],
            status=situacao if situacao in STATUS_FILTERS else "",
            branch=branch if visit.directory.branch(branch) else "",
            service_type=tipo.strip()[:64],
            risk=risco if risco in RISK_LABELS else "",
            offset=max(0, min(inicio, 1_000_000)),
            assignee="me" if responsavel == "me" else "",
        )
        results = await search_orders(visit.api, visit.token, filters)
        return page(
            request,
            visit,
            "search.html",
            fragment="search_results.html",
            results=results,
            status_filters=STATUS_FILTERS,
            status_labels=STATUS_LABELS,
            risk_labels=RISK_LABELS,
            zones=visit.directory.zones(),
        )
