"""Mensagens: every SMS with its status (filters: status, branch, dates, OS) and opt-outs."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from console.adapters.api_client import ApiRefusal
from console.domain.messages import (
    SOURCE_LABELS,
    STATUS_LABELS,
    opt_out_error,
    phone_for_api,
    shop_masked,
)
from console.domain.order_view import held_sms_outlook
from console.domain.review import typed_day
from console.entrypoints.http.pages import Visit, page
from console.usecases.messages import (
    MessageFilters,
    add_opt_out,
    load_messages,
    remove_opt_out,
)

NOTICES = {
    "descadastrado": "Número descadastrado: não recebe mais SMS (os pendentes foram suprimidos).",
    "recadastrado": "Número recadastrado: ele volta a receber os próximos SMS.",
}


class MessagesController(Controller):
    path = "/mensagens"

    @get("/", name="messages")
    async def messages(
        self,
        request: Request[Any, Any, Any],
        visit: NamedDependency[Visit],
        status: FromQuery[str] = "",
        filial: FromQuery[str | None] = None,
        de: FromQuery[str] = "",
        ate: FromQuery[str] = "",
        os: FromQuery[str] = "",
        desde: FromQuery[int] = 0,
        feito: FromQuery[str] = "",
    ) -> Template:
        return await _messages_page(
            request,
            visit,
            {"status": status, "filial": filial, "de": de, "ate": ate, "os": os},
            max(desde, 0),
            notice=NOTICES.get(feito),
        )

    @post("/descadastros", name="add_opt_out", status_code=200)
    async def add(
        self, request: Request[Any, Any, Any], visit: NamedDependency[Visit]
    ) -> Template | Redirect:
        phone = _text(await request.form(), "phone")
        try:
            await add_opt_out(visit.api, visit.token, phone_for_api(phone))
        except ApiRefusal as refusal:
            if refusal.status == 401:
                raise
            error = opt_out_error(refusal.status, refusal.message, removing=False)
            return await _messages_page(
                request, visit, {}, 0, errors={"phone": error}, typed={"phone": phone}
            )
        return Redirect("/mensagens?feito=descadastrado#descadastros", status_code=303)

    @post("/descadastros/remover", name="remove_opt_out", status_code=200)
    async def remove(
        self, request: Request[Any, Any, Any], visit: NamedDependency[Visit]
    ) -> Template | Redirect:
        phone = _text(await request.form(), "phone")
        try:
            await remove_opt_out(visit.api, visit.token, phone_for_api(phone))
        except ApiRefusal as refusal:
            if refusal.status == 401:
                raise
            error = opt_out_error(refusal.status, refusal.message, removing=True)
            return await _messages_page(
                request, visit, {}, 0, errors={"remover": error}, typed={"remover": phone}
            )
        return Redirect("/mensagens?feito=recadastrado#descadastros", status_code=303)


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip()[:50] if isinstance(value, str) else ""


def _day(text: str, name: str, errors: dict[str, str]) -> date | None:
    if not text:
        return None
    try:
        return typed_day(text)
    except ValueError:
        errors[name] = "Data inválida: use dd/mm/aaaa."
        return None


async def _messages_page(
    request: Request[Any, Any, Any],
    visit: Visit,
    asked: dict[str, Any],
    offset: int,
    *,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> Template:
    errors = dict(errors or {})
    branch = asked.get("filial")
    if branch is None:
        branch = visit.branch.branch_id if visit.branch else ""
    filters = MessageFilters(
        status=asked.get("status") if asked.get("status") in STATUS_LABELS else None,
        branch=branch if visit.directory.branch(branch) else None,
        created_from=_day(asked.get("de", ""), "de", errors),
        created_to=_day(asked.get("ate", ""), "ate", errors),
        order_number=(asked.get("os") or "").strip()[:40] or None,
        offset=offset,
    )
    listing = await load_messages(visit.api, visit.token, filters)
    errors.update(listing.errors)
    return page(
        request,
        visit,
        "messages.html",
        status_code=400 if errors else 200,
        view=listing,
        filters=filters,
        asked=asked,
        zones=visit.directory.zones(),
        branch_codes={b.branch_id: b.code for b in visit.directory.branches},
        status_labels=STATUS_LABELS,
        shop_masked=shop_masked,
        held_sms_outlook=held_sms_outlook,
        source_labels=SOURCE_LABELS,
        notice=notice,
        errors=errors,
        typed=typed or {},
        zone=visit.branch.timezone if visit.branch else None,
    )
