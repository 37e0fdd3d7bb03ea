"""Sign-in, sign-out and the branch picker."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie, State
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template
from pydantic import BaseModel

from console.adapters.api_client import ApiClient, ApiRefusal
from console.config import ConsoleSettings
from console.entrypoints.http.pages import Visit, page
from console.entrypoints.http.session import (
    BRANCH_COOKIE,
    cleared_session_cookie,
    safe_next,
    session_cookie,
)
from console.usecases.sign_in import WrongCredentials, sign_in
from shared.logging import get_logger

log = get_logger(__name__)


class SignInForm(BaseModel):
    email: str = ""
    password: str = ""
    proximo: str = "/"


class BranchForm(BaseModel):
    branch_id: str = ""
    proximo: str = "/"


Form = Body(media_type=RequestEncodingType.URL_ENCODED)


class AuthController(Controller):
    @get("/entrar", name="sign_in_form")
    async def sign_in_form(
        self, request: Request[Any, Any, Any], proximo: FromQuery[str] = "/"
    ) -> Template:
        return page(request, None, "sign_in.html", proximo=safe_next(proximo), errors={})

    @post("/entrar", name="sign_in", status_code=200)
    async def sign_in(
        self,
        request: Request[Any, Any, Any],
        state: State,
        data: Annotated[SignInForm, Form],
    ) -> Template | Redirect:
        settings: ConsoleSettings = state.settings
        api: ApiClient = state.api
        errors: dict[str, str] = {}
        if not data.email.strip():
            errors["email"] = "Informe seu e-mail."
        if not data.password:
            errors["password"] = "Informe sua senha."  # noqa: S105 - a message, not a secret
        if not errors:
            try:
                address = request.client.host if request.client else None
                signed = await sign_in(api, data.email.strip(), data.password, address)
            except WrongCredentials:
                errors["form"] = "E-mail ou senha incorretos."
            except ApiRefusal as refusal:
                errors["form"] = refusal.message
            else:
                log.info("console_signed_in")
                response = Redirect(safe_next(data.proximo), status_code=303)
                response.set_cookie(
                    session_cookie(signed.token, signed.expires_in, secure=settings.secure_cookies)
                )
                return response
        return page(
            request,
            None,
            "sign_in.html",
            status_code=400,
            proximo=safe_next(data.proximo),
            email=data.email,
            errors=errors,
        )

    @post("/sair", name="sign_out")
    async def sign_out(self, state: State) -> Redirect:
        settings: ConsoleSettings = state.settings
        response = Redirect("/entrar", status_code=303)
        response.set_cookie(cleared_session_cookie(secure=settings.secure_cookies))
        return response

    @post("/filial", name="pick_branch")
    async def pick_branch(
        self, visit: NamedDependency[Visit], state: State, data: Annotated[BranchForm, Form]
    ) -> Redirect:
        settings: ConsoleSettings = state.settings
        response = Redirect(safe_next(data.proximo), status_code=303)
        known = visit.directory.branch(data.branch_id)
        response.set_cookie(
            Cookie(
                key=BRANCH_COOKIE,
                value=known.branch_id if known else "",
                max_age=60 * 60 * 24 * 365 if known else 0,
                httponly=True,
                secure=settings.secure_cookies,
                samesite="lax",
            )
        )
        return response
