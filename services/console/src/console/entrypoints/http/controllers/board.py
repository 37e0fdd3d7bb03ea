"""The board (home page): a kanban of open orders per service type, live."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from console.domain.board import RISK_LABELS
from console.entrypoints.http.pages import Visit, page
from console.usecases.board import BoardFilters, load_board
from console.usecases.process_review import review_notices


class BoardController(Controller):
    @get("/", name="board")
    async def board(
        self,
        request: Request[Any, Any, Any],
        visit: NamedDependency[Visit],
        tipo: FromQuery[str | None] = None,
        filial: FromQuery[str | None] = None,
        risco: FromQuery[str | None] = None,
        responsavel: FromQuery[str | None] = None,
        busca: FromQuery[str | None] = None,
    ) -> Template:
        branch = filial if filial is not None else (visit.branch.branch_id if visit.branch else "")
        filters = BoardFilters(
            service_type=tipo or None,
            branch=branch if visit.directory.branch(branch) else None,
            risk=risco if risco in RISK_LABELS else None,
            assignee=(responsavel or "").strip()[:200] or None,
            text=(busca or "").strip()[:100] or None,
        )
        board_page = await load_board(visit.api, visit.token, visit.directory, filters, visit.now())
        notices = await review_notices(visit.api, visit.token, visit.role)
        return page(
            request,
            visit,
            "board.html",
            fragment="board_columns.html",
            view=board_page,
            risk_labels=RISK_LABELS,
            review_notices=notices,
        )
