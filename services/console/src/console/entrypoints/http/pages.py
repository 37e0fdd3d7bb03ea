"""What every page knows about its request: who, their token, their branches; how to render.

A handler gets a :class:`Visit` (the person, their token, the chain's directory, the branch they
picked) and returns :func:`page`: the whole page for a normal request, or only the named
fragment for an htmx request, so no client-side state has to be kept in sync.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.response import Template

from console.adapters.api_client import ApiClient, ApiRefusal, ServiceDown
from console.config import ConsoleSettings
from console.domain.flow_form import ROLE_CHOICES
from console.domain.permissions import ROLE_LABELS, menu_for
from console.entrypoints.http.headers import RENEWED_COOKIE
from console.entrypoints.http.session import (
    BRANCH_COOKIE,
    principal_of,
    session_cookie,
    session_of,
)
from console.usecases.directory import Branch, Directory, DirectoryCache
from console.usecases.sign_in import renew
from shared.auth import Principal


@dataclass(frozen=True, slots=True)
class Visit:
    principal: Principal
    token: str
    directory: Directory
    api: ApiClient
    branch: Branch | None
    """The branch the person picked in the header; ``None`` means all they may see."""

    @property
    def role(self) -> str:
        return self.principal.role.value

    def now(self) -> datetime:
        return datetime.now(UTC)


async def provide_visit(request: Request[Any, Any, Any], state: State) -> Visit:
    principal = principal_of(request)
    session = session_of(request)
    api: ApiClient = state.api
    settings: ConsoleSettings = state.settings
    token = await _renewed_if_due(request, api, settings, session.token, session.expires_at)
    directories: DirectoryCache = state.directories
    directory = await directories.get(api, principal, token)
    picked = directory.branch(request.cookies.get(BRANCH_COOKIE))
    if picked is None and len(directory.branches) == 1:
        picked = directory.branches[0]
    return Visit(principal, token, directory, api, picked)


async def _renewed_if_due(
    request: Request[Any, Any, Any],
    api: ApiClient,
    settings: ConsoleSettings,
    token: str,
    expires_at: datetime,
) -> str:
    """A person active near their token's expiry gets a new one (cookie set on the way out)."""
    if expires_at - datetime.now(UTC) > timedelta(seconds=settings.renew_before_seconds):
        return token
    try:
        renewed = await renew(api, token)
    except (ApiRefusal, ServiceDown):
        return token  # the current token still works until it expires; try again next page
    request.state[RENEWED_COOKIE] = session_cookie(
        renewed.token, renewed.expires_in, secure=settings.secure_cookies
    )
    return renewed.token


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    return bool(request.headers.get("hx-request")) and not request.headers.get("hx-boosted")


def page(
    request: Request[Any, Any, Any],
    visit: Visit | None,
    template: str,
    *,
    fragment: str | None = None,
    status_code: int = 200,
    **context: Any,
) -> Template:
    """The page ``template``; for an htmx request that names a ``fragment``, only that part."""
    name = fragment if fragment and is_htmx(request) else template
    return Template(
        template_name=name,
        context={**common_context(request, visit), **context},
        status_code=status_code,
    )


def common_context(request: Request[Any, Any, Any], visit: Visit | None) -> dict[str, Any]:
    """What the layout shows: with a visit, everything; with only a signed-in principal (an
    error page, when the directory could not be read), who they are and the menu."""
    if visit is not None:
        return {
            "path": request.url.path,
            "visit": visit,
            "person": visit.principal.name,
            "role_label": ROLE_LABELS.get(visit.role, visit.role),
            "chain_name": visit.directory.chain_name,
            "branches": visit.directory.branches,
            "picked_branch": visit.branch,
            "menu": menu_for(visit.role),
            "me": str(visit.principal.user_id),
            "mine": request.query_params.get("responsavel") == "me",
            "role_labels": ROLE_CHOICES,
        }
    principal = request.scope.get("user")
    if not isinstance(principal, Principal):
        return {"path": request.url.path, "visit": None}
    return {
        "path": request.url.path,
        "visit": principal,
        "person": principal.name,
        "role_label": ROLE_LABELS.get(principal.role.value, principal.role.value),
        "chain_name": "",
        "branches": [],
        "picked_branch": None,
        "menu": menu_for(principal.role.value),
    }
