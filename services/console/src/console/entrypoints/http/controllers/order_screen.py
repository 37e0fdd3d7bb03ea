"""The order screen (``/os/{id}``) and its actions, with their outcome on the page."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from console.adapters.api_client import ApiRefusal
from console.domain import order_view
from console.domain.action_form import check_action
from console.domain.action_outcome import EFFECT_KINDS
from console.domain.formatting import parse_instant
from console.domain.permissions import ACTION_LABELS, NEEDS_REASON
from console.entrypoints.http.pages import Visit, is_htmx, page
from console.usecases.act_on_order import act_on_order
from console.usecases.order_screen import (
    OrderNotFound,
    OrderScreen,
    PendingAction,
    load_order_screen,
)

MAX_POLLS = 30


class OrderScreenController(Controller):
    @get("/os/{order_id:uuid}", name="order_screen")
    async def order_screen(
        self,
        request: Request[Any, Any, Any],
        visit: NamedDependency[Visit],
        order_id: FromPath[UUID],
        acao: FromQuery[str | None] = None,
        em: FromQuery[str | None] = None,
        vez: FromQuery[int] = 0,
    ) -> Template:
        pending = _pending(visit, acao, em)
        try:
            screen = await load_order_screen(
                visit.api, visit.token, visit.directory, visit.role, str(order_id), pending
            )
        except OrderNotFound:
            return not_found(request, visit)
        return _render(request, visit, screen, polls=vez)

    @post("/os/{order_id:uuid}/acoes", name="order_action", status_code=200)
    async def act(
        self,
        request: Request[Any, Any, Any],
        visit: NamedDependency[Visit],
        order_id: FromPath[UUID],
    ) -> Template | Redirect:
        form = {key: str(value) for key, value in (await request.form()).items()}
        checked = check_action(form)
        errors = dict(checked.errors)
        if not errors and checked.action is not None:
            key = form.get("chave") or uuid.uuid4().hex
            try:
                sent = await act_on_order(
                    visit.api,
                    visit.token,
                    str(order_id),
                    checked.body,
                    f"{key[:150]}-{checked.action.value}",
                )
            except ApiRefusal as refusal:
                if refusal.status == 404:
                    return not_found(request, visit)
                errors["acao"] = _refusal_text(refusal)
            else:
                query = {"acao": sent.pending.action, "em": sent.pending.requested_at.isoformat()}
                if not is_htmx(request):
                    url = request.app.route_reverse("order_screen", order_id=order_id)
                    return Redirect(f"{url}?{urlencode(query)}", status_code=303)
                pending = sent.pending
                screen = await load_order_screen(
                    visit.api, visit.token, visit.directory, visit.role, str(order_id), pending
                )
                return _render(request, visit, screen)
        try:
            screen = await load_order_screen(
                visit.api, visit.token, visit.directory, visit.role, str(order_id)
            )
        except OrderNotFound:
            return not_found(request, visit)
        status = 200 if is_htmx(request) else 400  # htmx swaps only 2xx answers
        return _render(
            request,
            visit,
            screen,
            errors=errors,
            open_action=checked.action.value if checked.action else None,
            typed=form,
            status_code=status,
        )


def _pending(visit: Visit, action: str | None, at: str | None) -> PendingAction | None:
    if action not in EFFECT_KINDS or not at:
        return None
    try:
        requested_at = parse_instant(at)
    except ValueError:
        return None
    if requested_at is None or requested_at.tzinfo is None:
        return None
    actor = visit.principal.name or str(visit.principal.user_id)
    return PendingAction(str(action), requested_at, actor)


def _render(
    request: Request[Any, Any, Any],
    visit: Visit,
    screen: OrderScreen,
    *,
    polls: int = 0,
    errors: dict[str, str] | None = None,
    open_action: str | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    return page(
        request,
        visit,
        "order.html",
        fragment="order_panel.html",
        status_code=status_code,
        screen=screen,
        polls=polls,
        keep_polling=polls < MAX_POLLS,
        errors=errors or {},
        open_action=open_action,
        typed=typed or {},
        form_key=uuid.uuid4().hex,
        action_labels=ACTION_LABELS,
        needs_reason=NEEDS_REASON,
        labels=order_view,
    )


def not_found(request: Request[Any, Any, Any], visit: Visit) -> Template:
    return page(
        request,
        visit,
        "problem.html",
        status_code=404,
        title="OS não encontrada",
        message="Esta OS não existe ou é de uma filial que você não acompanha.",
    )


def _refusal_text(refusal: ApiRefusal) -> str:
    if refusal.status == 403:
        return "Seu perfil não permite esta ação."
    if refusal.status == 409:
        return "Esta ação já foi enviada com outros dados; recarregue a página."
    if refusal.status == 429:
        return "Muitas tentativas; aguarde um minuto."
    return "A ação foi recusada: confira os campos e tente de novo."
