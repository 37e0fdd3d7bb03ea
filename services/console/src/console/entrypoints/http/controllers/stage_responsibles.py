"""The flow page's grid of each stage's default responsible person per branch (saving it)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from console.domain.permissions import MANAGERS
from console.entrypoints.http.controllers.flows import flow_labels
from console.entrypoints.http.pages import Visit, page
from console.usecases import flows
from console.usecases.stage_responsibles import (
    body_from_form,
    load_responsibles,
    save_responsibles,
)


class StageResponsiblesController(Controller):
    path = "/tipos"

    @post("/{code:str}/responsaveis", name="flow_responsibles", status_code=200)
    async def save(
        self, request: Request[Any, Any, Any], visit: NamedDependency[Visit], code: FromQuery[str]
    ) -> Template | Redirect:
        if visit.role not in MANAGERS:
            return page(
                request,
                visit,
                "problem.html",
                status_code=403,
                title="Sem permissão",
                message="Só administradores e gerentes definem os responsáveis das etapas.",
            )
        form = await request.form()
        items = body_from_form((k, v) for k, v in form.multi_items() if isinstance(v, str))
        errors = await save_responsibles(visit.api, visit.token, code, items)
        target = f"/tipos/{quote(code, safe='')}"
        if not errors:
            return Redirect(f"{target}?salvo=responsaveis#responsaveis", status_code=303)
        view = await load_responsibles(visit.api, visit.token, code, visit.directory)
        typed = {k: str(v) for k, v in form.items() if isinstance(v, str) and k.startswith("resp|")}
        flow_page = await flows.load_flow_page(visit.api, visit.token, code)
        return page(
            request,
            visit,
            "flow.html",
            status_code=400,
            service_type=flow_page.service_type,
            versions=flow_page.versions,
            changes=None,
            de=None,
            para=None,
            saved=None,
            may_edit=visit.role == "chain_admin",
            zone=visit.branch.timezone if visit.branch else None,
            responsibles=view,
            responsible_errors=errors,
            responsible_typed=typed,
            **flow_labels(),
        )
