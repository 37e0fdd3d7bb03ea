"""Laboratórios: labs and their API keys (a new key shown once), rejected lab messages."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from console.adapters.api_client import ApiRefusal
from console.domain.labs import OUTCOME_LABELS, check_new_lab, lab_form_errors
from console.entrypoints.http.pages import Visit, page
from console.usecases.labs import add_lab, create_key, load_labs, replay, revoke_key

NOTICES = {
    "cadastrado": "Laboratório cadastrado. Crie uma chave para ele enviar as situações por HTTP.",
    "revogada": "Chave revogada: pedidos com ela são recusados a partir de agora.",
}


class LabsController(Controller):
    path = "/laboratorios"

    @get("/", name="labs")
    async def labs(
        self,
        request: Request[Any, Any, Any],
        visit: NamedDependency[Visit],
        feito: FromQuery[str] = "",
        resultado: FromQuery[str] = "",
    ) -> Template:
        notice = NOTICES.get(feito)
        if resultado in OUTCOME_LABELS:
            notice = f"Mensagem do laboratório {OUTCOME_LABELS[resultado]}."
        return await _labs_page(request, visit, notice=notice)

    @post("/", name="add_lab", status_code=200)
    async def add_lab(
        self, request: Request[Any, Any, Any], visit: NamedDependency[Visit]
    ) -> Template | Redirect:
        form = await request.form()
        code, name = _text(form, "code").upper(), _text(form, "name")
        errors = check_new_lab(code, name)
        if not errors:
            try:
                await add_lab(visit.api, visit.token, code, name)
            except ApiRefusal as refusal:
                if refusal.status == 401:
                    raise
                errors = lab_form_errors(refusal.status, refusal.message, refusal.fields)
            else:
                return Redirect("/laboratorios?feito=cadastrado", status_code=303)
        return await _labs_page(
            request, visit, errors=errors, values={"code": code, "name": name}, status_code=400
        )

    @post("/{lab_id:uuid}/chaves", name="create_lab_key", status_code=200)
    async def create_key(
        self, request: Request[Any, Any, Any], visit: NamedDependency[Visit], lab_id: FromPath[UUID]
    ) -> Template:
        form = await request.form()
        key = await create_key(visit.api, visit.token, str(lab_id), _text(form, "label")[:200])
        response = await _labs_page(request, visit, new_key=key)
        response.headers["Cache-Control"] = "no-store"
        return response

    @post("/{lab_id:uuid}/chaves/{key_id:uuid}/revogar", name="revoke_lab_key")
    async def revoke_key(
        self, visit: NamedDependency[Visit], lab_id: FromPath[UUID], key_id: FromPath[UUID]
    ) -> Redirect:
        await revoke_key(visit.api, visit.token, str(lab_id), str(key_id))
        return Redirect("/laboratorios?feito=revogada", status_code=303)

    @post("/mensagens/{message_id:uuid}/reprocessar", name="replay_lab_message")
    async def replay(
        self,
        request: Request[Any, Any, Any],
        visit: NamedDependency[Visit],
        message_id: FromPath[UUID],
    ) -> Template | Redirect:
        try:
            outcome = await replay(visit.api, visit.token, str(message_id))
        except ApiRefusal as refusal:
            if refusal.status == 401:
                raise
            return await _labs_page(
                request, visit, failure=f"Não foi possível reprocessar: {refusal.message}"
            )
        return Redirect(f"/laboratorios?resultado={outcome['status']}", status_code=303)


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


async def _labs_page(
    request: Request[Any, Any, Any],
    visit: Visit,
    *,
    notice: str | None = None,
    failure: str | None = None,
    new_key: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    labs = await load_labs(visit.api, visit.token)
    return page(
        request,
        visit,
        "labs.html",
        status_code=status_code,
        view=labs,
        notice=notice,
        failure=failure,
        new_key=new_key,
        errors=errors or {},
        values=values or {},
        zone=visit.branch.timezone if visit.branch else None,
    )
