"""The counter form (``/os/nova``): open an order, with the proposed date before saving."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from console.adapters.api_client import ApiRefusal
from console.domain.counter_form import (
    AGREED,
    ITEM_KINDS,
    CounterForm,
    ItemRow,
    check_counter_form,
    form_errors_from_api,
    order_body,
    parse_typed_date,
    read_counter_form,
)
from console.domain.formatting import local
from console.domain.order_view import ITEM_KIND_LABELS
from console.domain.permissions import STAFF
from console.entrypoints.http.pages import Visit, page
from console.usecases.open_order import Quote, counter_choices, open_order, quote
from shared.logging import get_logger

log = get_logger(__name__)

MORE_ROWS = 2


class CounterController(Controller):
    @get("/os/nova", name="counter_form")
    async def counter_form(
        self, request: Request[Any, Any, Any], visit: NamedDependency[Visit]
    ) -> Template:
        if visit.role not in STAFF:
            return _not_allowed(request, visit)
        branch = visit.branch.branch_id if visit.branch else ""
        form = CounterForm(branch_id=branch, key=uuid.uuid4().hex)
        return await _render(request, visit, form)

    @get("/os/nova/data-proposta", name="counter_quote")
    async def counter_quote(
        self,
        request: Request[Any, Any, Any],
        visit: NamedDependency[Visit],
        filial: FromQuery[str] = "",
        tipo: FromQuery[str] = "",
    ) -> Template:
        found = await _quote(visit, filial, tipo)
        return page(request, visit, "quote_box.html", quote=found, form=CounterForm(filial, tipo))

    @post("/os/nova", name="open_order", status_code=200)
    async def open_order(
        self, request: Request[Any, Any, Any], visit: NamedDependency[Visit]
    ) -> Template | Redirect:
        raw = {key: str(value) for key, value in (await request.form()).items()}
        form = read_counter_form(raw)
        if not form.key:
            form = replace(form, key=uuid.uuid4().hex)
        button = raw.get("botao", "")
        if button == "mais-itens":
            more = [*form.items, *(ItemRow() for _ in range(MORE_ROWS))]
            return await _render(request, visit, replace(form, items=more))
        found = await _quote(visit, form.branch_id, form.service_type)
        if button == "calcular":
            return await _render(request, visit, form, found=found)
        branch = visit.directory.branch(form.branch_id)
        today = local(visit.now(), branch.timezone if branch else None).date()
        checked = check_counter_form(form, today, found.promised_date if found else None)
        if checked.errors:
            return await _render(
                request,
                visit,
                form,
                found=found,
                errors=checked.errors,
                status_code=400,
                earlier=checked.earlier_than_proposal,
            )
        try:
            opened = await open_order(
                visit.api, visit.token, order_body(form, checked.promised_date), form.key
            )
        except ApiRefusal as refusal:
            if refusal.status == 400:
                errors = form_errors_from_api(refusal.message, refusal.fields, form)
            elif refusal.status == 409:
                errors = {
                    "form": "Este formulário já abriu uma OS com outros dados; "
                    "confira em Buscar antes de enviar de novo."
                }
            else:
                errors = {"form": refusal.message}
            log.info("counter_form_refused", status=refusal.status)
            return await _render(
                request,
                visit,
                replace(form, key=uuid.uuid4().hex),
                found=found,
                errors=errors,
                status_code=400,
                earlier=checked.earlier_than_proposal,
            )
        return Redirect(f"/os/{opened['order_id']}", status_code=303)


async def _quote(visit: Visit, branch_id: str, service_type: str) -> Quote | None:
    if not visit.directory.branch(branch_id):
        return None
    return await quote(visit.api, visit.token, branch_id, service_type)


async def _render(
    request: Request[Any, Any, Any],
    visit: Visit,
    form: CounterForm,
    *,
    found: Quote | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    earlier: bool = False,
) -> Template:
    choices = await counter_choices(visit.api, visit.token)
    typed_date = parse_typed_date(form.agreed_date)
    if found is None and form.branch_id and form.service_type:
        found = await _quote(visit, form.branch_id, form.service_type)
    return page(
        request,
        visit,
        "new_order.html",
        status_code=status_code,
        form=form,
        choices=choices,
        quote=found,
        errors=errors or {},
        show_confirm=earlier or form.confirm_earlier,
        agreed=AGREED,
        agreed_value=f"{typed_date:%d/%m/%Y}" if typed_date else form.agreed_date,
        item_kinds=[(kind, ITEM_KIND_LABELS[kind]) for kind in ITEM_KINDS],
    )


def _not_allowed(request: Request[Any, Any, Any], visit: Visit) -> Template:
    return page(
        request,
        visit,
        "problem.html",
        status_code=403,
        title="Sem permissão",
        message="Seu perfil não abre ordens de serviço; fale com o gerente da filial.",
    )
