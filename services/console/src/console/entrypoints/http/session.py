"""The signed-in session: intake's token in an httpOnly cookie, checked on every page.

Rules:
- The cookie holds the token intake issued (EdDSA, short-lived); the console checks it with the
  public key, as every service does, and forwards it to the APIs. It is httpOnly (no script can
  read it), SameSite=Lax (no other site can post with it) and Secure outside development.
- Every path but sign-in, static files, health, metrics and the customer page needs a session.
  Without one, a page redirects to sign-in (an htmx request gets ``HX-Redirect``) and the SSE
  stream answers 401.
- While the person is active, a token close to expiry is renewed through intake's refresh
  endpoint after the request, so a working day does not end in a sign-in page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import jwt
from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.response import Redirect
from litestar.types import ASGIApp

from shared.auth import Principal, TokenVerifier

SESSION_COOKIE = "etapa_sessao"
BRANCH_COOKIE = "etapa_filial"
OPEN_PATHS = [
    "^/entrar",
    "^/static/",
    "^/a/",
    "^/health$",
    "^/ready$",
    "^/metrics",
    "^/asyncapi$",
    "^/favicon.ico$",
]


@dataclass(frozen=True, slots=True)
class Session:
    token: str
    expires_at: datetime


class SessionMiddleware(AbstractAuthenticationMiddleware):
    def __init__(self, app: ASGIApp, verifier: TokenVerifier) -> None:
        super().__init__(app, exclude=OPEN_PATHS)
        self._verifier = verifier

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        token = connection.cookies.get(SESSION_COOKIE, "")
        if not token:
            raise NotAuthorizedException("sem sessão")
        principal = self._verifier.verify(token)
        return AuthenticationResult(user=principal, auth=Session(token, expires_at_of(token)))


def expires_at_of(token: str) -> datetime:
    """The ``exp`` of a token already verified (read without checking the signature again)."""
    claims = jwt.decode(token, options={"verify_signature": False})
    return datetime.fromtimestamp(int(claims["exp"]), tz=UTC)


def session_cookie(token: str, expires_in: int, *, secure: bool) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=token,
        max_age=expires_in,
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/",
    )


def cleared_session_cookie(*, secure: bool) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE, value="", max_age=0, httponly=True, secure=secure, samesite="lax"
    )


def principal_of(request: Request[Any, Any, Any]) -> Principal:
    user = request.scope.get("user")
    if not isinstance(user, Principal):
        raise NotAuthorizedException("sem sessão")
    return user


def session_of(request: Request[Any, Any, Any]) -> Session:
    auth = request.scope.get("auth")
    if not isinstance(auth, Session):
        raise NotAuthorizedException("sem sessão")
    return auth


def to_sign_in(request: Request[Any, Any, Any], _exc: Exception) -> Response[Any]:
    """A page without a session goes to sign-in, then back where the person was."""
    if request.url.path.startswith("/ao-vivo"):
        return Response("sessão expirada", status_code=401, media_type="text/plain")
    target = "/entrar"
    here = request.url.path + _query(request)
    if request.method == "GET" and here != "/" and not here.startswith("/entrar"):
        target += "?proximo=" + quote(here, safe="")
    if request.headers.get("hx-request"):
        return Response("", status_code=200, headers={"HX-Redirect": target})
    return Redirect(target, status_code=303)


def _query(request: Request[Any, Any, Any]) -> str:
    query = request.url.query
    return f"?{query}" if query else ""


def safe_next(target: str | None) -> str:
    """Only a path of this site: never an open redirect to another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
