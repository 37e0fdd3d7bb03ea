"""Calendários: per branch, the coming holidays and closures, the week and hours, the SMS window.

Everyone who sees a branch reads its calendar. Its manager (and a chain administrator) change
the week, hours, closures and municipal holidays; an administrator chooses the chain's optional
days and changes the SMS window (intake's branch). Every change re-reads what the API has and
changes one thing; a success redirects back (so a reload does not post again), a refusal shows
the page again with the message next to the field.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from console.domain.calendar_form import (
    SHORT_WEEKDAYS,
    WEEKDAYS,
    day_added,
    day_removed,
    hhmm,
    hours_change,
    parse_day_text,
    sending_window_body,
    week_hours,
    week_text,
    weekday_of,
    weekdays_text,
)
from console.domain.formatting import local
from console.domain.permissions import ADMINS
from console.entrypoints.http.pages import Visit, page
from console.usecases import calendars
from console.usecases.directory import Branch

KINDS = {"fechamentos": "closures", "feriados-municipais": "municipal_holidays"}
SAVED_TEXT = {
    "horario": "Semana e horário salvos; os prazos das OS novas já contam com eles.",
    "fechamento": "Fechamento salvo.",
    "feriado": "Feriado municipal salvo.",
    "removido": "Dia removido do calendário.",
    "facultativos": "Pontos facultativos da rede salvos.",
    "sms": "Janela de envio de SMS salva.",
}
Form = dict[str, list[str]]


def _may_edit(visit: Visit, branch: Branch) -> bool:
    if visit.role in ADMINS:
        return True
    mine = {str(b) for b in visit.principal.branch_ids}
    return visit.role == "branch_manager" and branch.branch_id in mine


def _chosen(visit: Visit, filial: str | None) -> Branch | None:
    return (
        visit.directory.branch(filial)
        or visit.branch
        or (visit.directory.branches[0] if visit.directory.branches else None)
    )


async def _form(request: Request[Any, Any, Any]) -> Form:
    data = await request.form()
    form: Form = {}
    for key, value in data.multi_items():
        if isinstance(value, str):
            form.setdefault(key, []).append(value)
    return form


def _done(branch: Branch, what: str) -> Redirect:
    return Redirect(
        "/calendarios?" + urlencode({"filial": branch.branch_id, "salvo": what}), status_code=303
    )


class CalendarsController(Controller):
    path = "/calendarios"

    @get("/", name="calendars")
    async def show(
        self,
        request: Request[Any, Any, Any],
        visit: NamedDependency[Visit],
        filial: FromQuery[str | None] = None,
        salvo: FromQuery[str | None] = None,
        de: FromQuery[str | None] = None,
    ) -> Template:
        branch = _chosen(visit, filial)
        first = parse_day_text(de or "")
        return await _render(
            request, visit, branch, notice=SAVED_TEXT.get(salvo or "", ""), first_day=first
        )

    @post("/{branch_id:str}/horario", name="calendar_hours", status_code=200)
    async def hours(
        self,
        request: Request[Any, Any, Any],
        visit: NamedDependency[Visit],
        branch_id: FromPath[str],
    ) -> Template | Redirect:
        branch = _known(visit, branch_id)
        form = await _form(request)
        current = await _settings(visit, branch)
        body, errors = hours_change(current, form)
        return await _save(request, visit, branch, body, errors, "horario", form)

    @post("/{branch_id:str}/dias/{kind:str}", name="calendar_day_add", status_code=200)
    async def add_day(
        self,
        request: Request[Any, Any, Any],
        visit: NamedDependency[Visit],
        branch_id: FromPath[str],
        kind: FromPath[str],
    ) -> Template | Redirect:
        branch = _known(visit, branch_id)
        form = await _form(request)
        current = await _settings(visit, branch)
        key = KINDS.get(kind, "closures")
        body, errors = day_added(
            current,
            key,
            (form.get("data") or [""])[0],
            (form.get("descricao") or [""])[0],
            (form.get("todo_ano") or [""])[0] == "on",
        )
        what = "feriado" if key == "municipal_holidays" else "fechamento"
        return await _save(request, visit, branch, body, errors, what, form, adding=key)

    @post("/{branch_id:str}/dias/{kind:str}/remover", name="calendar_day_remove", status_code=200)
    async def remove_day(
        self,
        request: Request[Any, Any, Any],
        visit: NamedDependency[Visit],
        branch_id: FromPath[str],
        kind: FromPath[str],
    ) -> Template | Redirect:
        branch = _known(visit, branch_id)
        form = await _form(request)
        current = await _settings(visit, branch)
        body = day_removed(current, KINDS.get(kind, "closures"), (form.get("data") or [""])[0])
        return await _save(request, visit, branch, body, {}, "removido", form)

    @post("/{branch_id:str}/janela-sms", name="calendar_sms_window", status_code=200)
    async def sms_window(
        self,
        request: Request[Any, Any, Any],
        visit: NamedDependency[Visit],
        branch_id: FromPath[str],
    ) -> Template | Redirect:
        branch = _known(visit, branch_id)
        form = await _form(request)
        current = await calendars.load_branch(visit.api, visit.token, branch.branch_id)
        body, errors = sending_window_body(current, form)
        if not errors:
            saved = await calendars.save_branch(visit.api, visit.token, branch.branch_id, body)
            if saved.ok:
                return _done(branch, "sms")
            errors, message, status = saved.errors, saved.message, saved.status
        else:
            message, status = "Corrija os campos indicados; nada foi salvo.", 400
        return await _render(
            request, visit, branch, errors=errors, message=message, status=status, typed=form
        )

    @post("/facultativos", name="calendar_optional_days", status_code=200)
    async def optional_days(
        self, request: Request[Any, Any, Any], visit: NamedDependency[Visit]
    ) -> Template | Redirect:
        form = await _form(request)
        branch = _chosen(visit, (form.get("filial") or [""])[0])
        saved = await calendars.save_optional_days(
            visit.api, visit.token, [v for v in form.get("facultativo", []) if v]
        )
        if saved.ok and branch is not None:
            return _done(branch, "facultativos")
        return await _render(
            request, visit, branch, message=saved.message, status=saved.status, typed=form
        )


def _known(visit: Visit, branch_id: str) -> Branch:
    branch = visit.directory.branch(branch_id)
    if branch is None:
        raise NotFoundException("Filial não encontrada.")
    return branch


async def _settings(visit: Visit, branch: Branch) -> dict[str, Any]:
    today = local(visit.now(), branch.timezone).date()
    loaded = await calendars.load_calendar(visit.api, visit.token, branch.branch_id, today)
    settings: dict[str, Any] = loaded.calendar["settings"]
    return settings


async def _save(
    request: Request[Any, Any, Any],
    visit: Visit,
    branch: Branch,
    body: dict[str, Any],
    errors: dict[str, str],
    what: str,
    form: Form,
    *,
    adding: str = "",
) -> Template | Redirect:
    if errors:
        return await _render(
            request,
            visit,
            branch,
            errors=errors,
            message="Corrija os campos indicados; nada foi salvo.",
            status=400,
            typed=form,
            adding=adding,
        )
    saved = await calendars.save_calendar(visit.api, visit.token, branch.branch_id, body)
    if saved.ok:
        return _done(branch, what)
    return await _render(
        request,
        visit,
        branch,
        errors=saved.errors,
        message=saved.message,
        status=saved.status,
        typed=form,
        adding=adding,
    )


async def _render(
    request: Request[Any, Any, Any],
    visit: Visit,
    branch: Branch | None,
    *,
    notice: str = "",
    errors: dict[str, str] | None = None,
    message: str = "",
    status: int = 200,
    typed: Form | None = None,
    adding: str = "",
    first_day: date | None = None,
) -> Template:
    loaded = None
    if branch is not None:
        today = first_day or local(visit.now(), branch.timezone).date()
        loaded = await calendars.load_calendar(visit.api, visit.token, branch.branch_id, today)
    settings = loaded.calendar["settings"] if loaded else {}
    return page(
        request,
        visit,
        "calendars.html",
        status_code=status,
        branch=branch,
        loaded=loaded,
        week=week_hours(settings) if loaded else [],
        week_summary=week_text(settings) if loaded else "",
        sms_days=weekdays_text(loaded.branch.get("sms_weekdays", [])) if loaded else "",
        may_edit=branch is not None and _may_edit(visit, branch),
        is_admin=visit.role in ADMINS,
        notice=notice,
        errors=errors or {},
        message=message,
        typed={k: v[0] for k, v in (typed or {}).items() if v},
        adding=adding,
        weekdays=WEEKDAYS,
        short_weekdays=SHORT_WEEKDAYS,
        hhmm=hhmm,
        weekday_of=weekday_of,
    )
