"""A query parameter the API does not take is refused, not ignored.

A filter misspelt (``GET /api/v1/lab-updates?outcome=rejected`` for ``?status=rejected``) used
to answer 200 with every row, as if no filter had been asked: the caller could not tell. Now
it answers 400 naming the parameter and those the address takes, in the reader's language.

The parameters an address takes are those its OpenAPI document lists (Litestar builds them
from the handler's and its dependencies' signatures), so the check and the document cannot
disagree. Only ``/api/`` addresses are checked; a handler that reads its query itself (a
provider's callback, whose address the provider's console may decorate) says so with
``ANY_QUERY`` in its ``opt``.
"""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import parse_qsl

from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from shared.asgi_json import send_json
from shared.problem_texts import language_of, localized_body

ANY_QUERY = "any_query"
"""Key of a handler's ``opt``: its query is not checked against the document."""

_METHODS = ("get", "post", "put", "patch", "delete")


def documented_query_parameters(document: dict[str, Any]) -> dict[tuple[str, str], frozenset[str]]:
    """``(path template, METHOD)`` → the names of the query parameters it documents, for every
    ``/api/`` operation of an OpenAPI ``document``."""
    taken: dict[tuple[str, str], frozenset[str]] = {}
    for path, item in document.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        shared_parameters = item.get("parameters", [])
        for method in _METHODS:
            if method in item:
                parameters = [*shared_parameters, *item[method].get("parameters", [])]
                taken[(path, method.upper())] = frozenset(
                    p["name"] for p in parameters if p.get("in") == "query"
                )
    return taken


def document_path(scope: Scope) -> str:
    """The request's route as the OpenAPI document writes it: ``/api/v1/users/{user_id}`` for
    Litestar's ``/api/v1/users/{user_id:uuid}``."""
    return _document_path(str(scope.get("path_template", "")))


@functools.lru_cache(maxsize=1024)  # one per route
def _document_path(template: str) -> str:
    return re.sub(r"\{(\w+):[^}]+\}", r"{\1}", template)


def unknown_parameters(query_string: bytes, taken: frozenset[str]) -> list[str]:
    """The names in ``query_string`` that are not ``taken``, each once, in order."""
    names = (name for name, _ in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
    return list(dict.fromkeys(name for name in names if name not in taken))


def refusal_body(
    method: str, path: str, unknown: list[str], taken: frozenset[str], accept_language: str
) -> tuple[dict[str, Any], str]:
    """The 400's body, one ``extra`` item per unknown name, and its language."""
    language = language_of(accept_language)
    accepted = (
        f"unknown query parameter; accepted: {', '.join(sorted(taken))}"
        if taken
        else "unknown query parameter; this address takes none"
    )
    extra = [{"key": name, "message": accepted, "source": "query"} for name in unknown]
    detail = f"Validation failed for {method} {path}"
    return localized_body(400, detail, extra, language), language


class UnknownQueryMiddleware(ASGIMiddleware):
    """Refuses a request to a documented ``/api/`` operation whose query names a parameter the
    operation does not document (400)."""

    scopes = ("http",)  # type: ignore[assignment]

    def __init__(self) -> None:
        self.taken: dict[tuple[str, str], frozenset[str]] = {}
        """Set once the app's document exists (``documented_query_parameters``)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        query = scope.get("query_string", b"")
        handler = scope.get("route_handler")
        if not query or handler is None or handler.opt.get(ANY_QUERY):
            await next_app(scope, receive, send)
            return
        method = str(scope.get("method", "GET"))
        taken = self.taken.get((document_path(scope), method))
        if taken is None or not (unknown := unknown_parameters(query, taken)):
            await next_app(scope, receive, send)
            return
        accept = dict(scope.get("headers", [])).get(b"accept-language", b"").decode("latin-1")
        body, language = refusal_body(method, str(scope.get("path", "")), unknown, taken, accept)
        await send_json(send, 400, body, language)
