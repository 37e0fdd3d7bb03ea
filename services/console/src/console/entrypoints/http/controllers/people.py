"""Pessoas: list the chain's staff, add a person, change their role, branches or access."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from console.adapters.api_client import ApiRefusal
from console.domain.people import (
    check_new_user,
    grantable_roles,
    user_changes,
    user_form_errors,
)
from console.domain.permissions import ROLE_LABELS
from console.entrypoints.http.pages import Visit, page
from console.usecases.people import add_user, change_user, get_user, list_users

NOTICES = {
    "cadastrada": "Pessoa cadastrada. Ela já pode entrar com o e-mail e a senha inicial.",
    "alterada": "Alterações salvas. Valem no próximo acesso da pessoa (em até 30 minutos).",
}


class PeopleController(Controller):
    path = "/pessoas"

    @get("/", name="people")
    async def people(
        self,
        request: Request[Any, Any, Any],
        visit: NamedDependency[Visit],
        desde: FromQuery[int] = 0,
        feito: FromQuery[str] = "",
    ) -> Template:
        users = await list_users(visit.api, visit.token, desde)
        return page(
            request,
            visit,
            "people.html",
            users=users,
            role_labels=ROLE_LABELS,
            branch_codes={b.branch_id: b.code for b in visit.directory.branches},
            notice=NOTICES.get(feito),
        )

    @get("/nova", name="new_person")
    async def new_person_form(
        self, request: Request[Any, Any, Any], visit: NamedDependency[Visit]
    ) -> Template:
        return _form(request, visit, user=None, values={}, errors={})

    @post("/nova", name="add_person", status_code=200)
    async def add_person(
        self, request: Request[Any, Any, Any], visit: NamedDependency[Visit]
    ) -> Template | Redirect:
        form = await request.form()
        email, name, role = _text(form, "email"), _text(form, "name"), _text(form, "role")
        branch_ids = [str(b) for b in form.getall("branch_ids", [])]
        password = _text(form, "password", strip=False)
        values = {"email": email, "name": name, "role": role, "branch_ids": branch_ids}
        errors = check_new_user(email, name, password, role)
        if not errors:
            try:
                await add_user(visit.api, visit.token, {**values, "password": password})
            except ApiRefusal as refusal:
                if refusal.status == 401:
                    raise
                errors = user_form_errors(refusal.status, refusal.message, refusal.fields)
            else:
                return Redirect("/pessoas?feito=cadastrada", status_code=303)
        return _form(request, visit, user=None, values=values, errors=errors, status_code=400)

    @get("/{user_id:uuid}", name="edit_person")
    async def edit_person_form(
        self,
        request: Request[Any, Any, Any],
        visit: NamedDependency[Visit],
        user_id: FromPath[UUID],
    ) -> Template:
        user = await get_user(visit.api, visit.token, str(user_id))
        return _form(request, visit, user=user, values=user, errors={})

    @post("/{user_id:uuid}", name="change_person", status_code=200)
    async def change_person(
        self,
        request: Request[Any, Any, Any],
        visit: NamedDependency[Visit],
        user_id: FromPath[UUID],
    ) -> Template | Redirect:
        user = await get_user(visit.api, visit.token, str(user_id))
        form = await request.form()
        role = _text(form, "role")
        branch_ids = [str(b) for b in form.getall("branch_ids", [])]
        active = _text(form, "active") == "sim"
        password = _text(form, "password", strip=False)
        sent, errors = user_changes(user, role, branch_ids, active, password)
        if not errors:
            try:
                await change_user(visit.api, visit.token, str(user_id), sent)
            except ApiRefusal as refusal:
                if refusal.status == 401:
                    raise
                errors = user_form_errors(refusal.status, refusal.message, refusal.fields)
            else:
                return Redirect("/pessoas?feito=alterada", status_code=303)
        values = {**user, "role": role or user["role"], "branch_ids": branch_ids, "active": active}
        return _form(request, visit, user=user, values=values, errors=errors, status_code=400)


def _text(form: Any, name: str, *, strip: bool = True) -> str:
    value = form.get(name)
    text = value if isinstance(value, str) else ""
    return text.strip() if strip else text


def _form(
    request: Request[Any, Any, Any],
    visit: Visit,
    *,
    user: dict[str, Any] | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Template:
    roles = grantable_roles(visit.role)
    if user is not None and user["role"] not in dict(roles):
        roles = [(user["role"], ROLE_LABELS.get(user["role"], user["role"])), *roles]
    return page(
        request,
        visit,
        "person_form.html",
        status_code=status_code,
        user=user,
        values=values,
        chosen_branches={str(b) for b in values.get("branch_ids", [])},
        roles=roles,
        errors=errors,
    )
