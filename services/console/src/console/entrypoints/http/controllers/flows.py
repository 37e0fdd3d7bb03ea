"""Tipos de OS: the chain's service types, their flows, versions and the flow editor.

Everyone reads; the editor and the on/off switch are shown to chain administrators only, and
workflow refuses anyone else (its 403 is shown on the page). Row buttons (up, down, add,
remove) post the whole form and get it back re-rendered, so the editor works without
JavaScript; with htmx only the form is swapped.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from console.config import ConsoleSettings
from console.domain.flow_changes import flow_changes
from console.domain.flow_form import (
    COUNTINGS,
    LAB_STATUS_CHOICES,
    ROLE_CHOICES,
    FlowDraft,
    StageDraft,
    apply_row_action,
    days_text,
    draft_from_api,
    error_summary,
    parse_flow_form,
)
from console.domain.permissions import ADMINS, MANAGERS
from console.entrypoints.http.pages import Visit, is_htmx, page
from console.usecases import flows
from console.usecases.sms_preview import placeholders, preview_sms
from console.usecases.stage_responsibles import load_responsibles

CODE_PATH = "{code:str}"
Page = Template | Redirect | Response[Any]


def _today(visit: Visit) -> Any:
    return visit.now().date()


def flow_labels() -> dict[str, Any]:
    return {
        "countings": COUNTINGS,
        "roles": ROLE_CHOICES,
        "lab_status_choices": LAB_STATUS_CHOICES,
        "placeholders": placeholders(),
        "days_text": days_text,
    }


def _editor(
    request: Request[Any, Any, Any],
    visit: Visit,
    draft: FlowDraft,
    *,
    code: str | None,
    errors: dict[str, str] | None = None,
    message: str = "",
    status_code: int = 200,
    focus: str = "",
) -> Template:
    base = _tracking_base(request)
    previews = [preview_sms(s.sms_template, s.name, _today(visit), base) for s in draft.stages]
    return page(
        request,
        visit,
        "flow_edit.html",
        fragment="flow_form.html",
        status_code=200 if is_htmx(request) else status_code,
        draft=draft,
        code=code,
        stages=list(zip(draft.stages, previews, strict=True)),
        errors=errors or {},
        summary=error_summary(errors or {}, draft),
        message=message,
        focus=focus,
        **flow_labels(),
    )


def _forbidden(request: Request[Any, Any, Any], visit: Visit) -> Template:
    return page(
        request,
        visit,
        "problem.html",
        status_code=403,
        title="Sem permissão",
        message="Só administradores da rede alteram tipos de OS.",
    )


def _focus_after(action: str, draft: FlowDraft) -> str:
    """Where the keyboard goes after a row button: the moved row, or the new one."""
    if action == "adicionar":
        return f"stages-{len(draft.stages) - 1}-name"
    verb, _, raw = action.partition("-")
    if not raw.isdigit():
        return ""
    index = int(raw) + {"subir": -1, "descer": 1}.get(verb, 0)
    index = max(0, min(index, len(draft.stages) - 1))
    return f"stages-{index}-name" if draft.stages else ""


class FlowsController(Controller):
    path = "/tipos"

    @get("/", name="flows")
    async def list_types(
        self, request: Request[Any, Any, Any], visit: NamedDependency[Visit]
    ) -> Template:
        types = await flows.list_types(visit.api, visit.token)
        return page(
            request,
            visit,
            "flows.html",
            types=types,
            may_edit=visit.role in ADMINS,
            **flow_labels(),
        )

    @get("/novo", name="flow_new")
    async def new_type(
        self, request: Request[Any, Any, Any], visit: NamedDependency[Visit]
    ) -> Template:
        if visit.role not in ADMINS:
            return _forbidden(request, visit)
        draft = FlowDraft(stages=(StageDraft(),))
        return _editor(request, visit, draft, code=None)

    @post("/novo", name="flow_create", status_code=200)
    async def create_type(
        self, request: Request[Any, Any, Any], visit: NamedDependency[Visit]
    ) -> Page:
        return await self._submit(request, visit, code=None)

    @post("/previa-sms", name="sms_preview", status_code=200)
    async def sms_preview(
        self, request: Request[Any, Any, Any], visit: NamedDependency[Visit]
    ) -> Template:
        form = await request.form()
        template = next((str(v) for k, v in form.items() if k.endswith("sms_template")), "")
        stage_name = next((str(v) for k, v in form.items() if k.endswith("-name")), "")
        return page(
            request,
            visit,
            "sms_preview.html",
            preview=preview_sms(template, stage_name, _today(visit), _tracking_base(request)),
            **flow_labels(),
        )

    @get(f"/{CODE_PATH}", name="flow")
    async def show_type(
        self,
        request: Request[Any, Any, Any],
        visit: NamedDependency[Visit],
        code: FromQuery[str],
        de: FromQuery[int | None] = None,
        para: FromQuery[int | None] = None,
        salvo: FromQuery[str | None] = None,
    ) -> Template:
        flow_page = await flows.load_flow_page(visit.api, visit.token, code)
        current = flow_page.service_type
        changes = None
        if de and para and de != para:
            older, newer = sorted((de, para))
            diff = await flows.compare(visit.api, visit.token, code, older, newer)
            names = {str(s["key"]): str(s["name"]) for s in current["stages"]}
            changes = flow_changes(diff, names)
        return page(
            request,
            visit,
            "flow.html",
            fragment="flow_compare.html",
            service_type=current,
            versions=flow_page.versions,
            changes=changes,
            de=de,
            para=para,
            saved=salvo,
            may_edit=visit.role in ADMINS,
            zone=visit.branch.timezone if visit.branch else None,
            responsibles=(
                await load_responsibles(visit.api, visit.token, code, visit.directory)
                if visit.role in MANAGERS
                else None
            ),
            **flow_labels(),
        )

    @get(f"/{CODE_PATH}/editar", name="flow_edit")
    async def edit_type(
        self, request: Request[Any, Any, Any], visit: NamedDependency[Visit], code: FromQuery[str]
    ) -> Template:
        if visit.role not in ADMINS:
            return _forbidden(request, visit)
        current = await flows.load_type(visit.api, visit.token, code)
        return _editor(request, visit, draft_from_api(current), code=code)

    @post(f"/{CODE_PATH}/editar", name="flow_save", status_code=200)
    async def save_type(
        self, request: Request[Any, Any, Any], visit: NamedDependency[Visit], code: FromQuery[str]
    ) -> Page:
        return await self._submit(request, visit, code=code)

    @post(f"/{CODE_PATH}/ativo", name="flow_switch", status_code=200)
    async def switch(
        self, request: Request[Any, Any, Any], visit: NamedDependency[Visit], code: FromQuery[str]
    ) -> Page:
        form = await request.form()
        active = form.get("ativo") == "1"
        outcome = await flows.switch_active(visit.api, visit.token, code, active)
        if outcome.saved is None:
            return page(
                request,
                visit,
                "problem.html",
                status_code=outcome.status,
                title="Não foi possível mudar o tipo de OS",
                message=outcome.message,
            )
        state = "ativado" if active else "desativado"
        return Redirect(f"/tipos/{quote(code, safe='')}?salvo={state}", status_code=303)

    async def _submit(
        self, request: Request[Any, Any, Any], visit: Visit, *, code: str | None
    ) -> Page:
        form = await request.form()
        pairs = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        draft = parse_flow_form(pairs)
        action = str(form.get("acao") or "salvar")
        if action != "salvar":
            moved = apply_row_action(draft, action)
            return _editor(request, visit, moved, code=code, focus=_focus_after(action, moved))
        outcome = await flows.save_flow(visit.api, visit.token, draft, existing_code=code)
        if outcome.saved is None:
            return _editor(
                request,
                visit,
                draft,
                code=code,
                errors=outcome.errors,
                message=outcome.message,
                status_code=outcome.status,
            )
        saved = outcome.saved
        target = f"/tipos/{quote(str(saved['code']), safe='')}"
        version = int(saved["version"])
        if not saved.get("created_version", True):
            target += "?salvo=igual"
        elif version > 1:
            target += f"?salvo={version}&de={version - 1}&para={version}"
        else:
            target += "?salvo=1"
        if is_htmx(request):
            return Response(content="", status_code=200, headers={"HX-Redirect": target})
        return Redirect(target, status_code=303)


def _tracking_base(request: Request[Any, Any, Any]) -> str:
    settings: ConsoleSettings = request.app.state.settings
    return settings.tracking_base_url
