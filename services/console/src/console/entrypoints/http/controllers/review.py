"""Análise: on-time rate, lead times and stage times for a period, drawn as SVG charts."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromQuery
from litestar.response import Template

from console.domain.formatting import local
from console.domain.permissions import MANAGERS
from console.domain.review import QUICK_DAYS, parse_period
from console.entrypoints.http.pages import Visit, page
from console.usecases.review import load_review

LEAD_TITLES = {
    "service_type": "Tempo total por tipo de OS",
    "branch": "Tempo total por filial",
    "lab": "Tempo total por laboratório",
}


class ReviewController(Controller):
    @get("/analise", name="review")
    async def review(
        self,
        request: Request[Any, Any, Any],
        visit: NamedDependency[Visit],
        de: FromQuery[str | None] = None,
        ate: FromQuery[str | None] = None,
        dias: FromQuery[str | None] = None,
        filial: FromQuery[str | None] = None,
    ) -> Template:
        if visit.role not in MANAGERS:
            raise PermissionDeniedException(
                "A análise é para gerentes de filial e administradores da rede."
            )
        picked = visit.branch if filial is None else visit.directory.branch(filial)
        today = local(visit.now(), picked.timezone if picked else None).date()
        period, errors = parse_period(today, de, ate, dias)
        branch_id = picked.branch_id if picked else None
        review = await load_review(visit.api, visit.token, period, branch_id)
        return page(
            request,
            visit,
            "review.html",
            fragment="review_charts.html",
            review=review,
            errors=errors,
            branch_id=branch_id or "",
            asked={"de": de or "", "ate": ate or ""},
            quick_days=QUICK_DAYS,
            lead_titles=LEAD_TITLES,
        )
