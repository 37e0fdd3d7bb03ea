"""What a person sees when something goes wrong: a message in Portuguese, never a trace.

- no session: the sign-in page (see ``session.to_sign_in``);
- a service that does not answer: a banner naming it, status 503;
- an API refusal that no form caught (404, 403, …): the refusal's reason, with its status;
- a bad URL or query (Litestar's own 4xx): what was wrong, with its status;
- the address of a form's target opened as a page (a GET where only POST is served, as after
  copying the address bar of a form sent back with an error): the page above it, which holds
  the form (303);
- anything else: a 500 page that says the team was told, and the error logged.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Redirect, Template

from console.adapters.api_client import (
    ENGLISH_STOCK_DETAILS,
    SERVICE_LABELS,
    ApiRefusal,
    ServiceDown,
    generic_message,
)
from console.entrypoints.http.pages import common_context, is_htmx
from console.entrypoints.http.session import to_sign_in
from shared.logging import get_logger

log = get_logger(__name__)

not_signed_in = to_sign_in

STATUS_TEXT = {
    400: "Pedido inválido",
    403: "Sem permissão",
    404: "Não encontrado",
    405: "Operação não permitida",
    413: "Pedido grande demais",
    429: "Muitas tentativas",
}


def _problem(
    request: Request[Any, Any, Any], status: int, title: str, message: str
) -> Response[Any]:
    context = {**common_context(request, None), "title": title, "message": message}
    name = "problem_banner.html" if is_htmx(request) else "problem.html"
    headers = {"HX-Retarget": "#avisos", "HX-Reswap": "innerHTML"} if is_htmx(request) else {}
    return Template(
        template_name=name,
        context=context,
        status_code=status if not headers else 200,
        headers=headers,
    )


def service_down(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, ServiceDown)
    label = SERVICE_LABELS[exc.service]
    return _problem(
        request,
        503,
        "Serviço fora do ar",
        f"O serviço de {label} não respondeu. Tente de novo em instantes; "
        "se persistir, avise o suporte.",
    )


def refused(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, ApiRefusal)
    if exc.status == 401:
        return to_sign_in(request, exc)
    title = STATUS_TEXT.get(exc.status, "Pedido recusado")
    return _problem(request, exc.status, title, exc.message)


def page_above(path: str) -> str:
    """The address one segment up: ``/mensagens/descadastros`` → ``/mensagens``."""
    return path.rstrip("/").rsplit("/", 1)[0] or "/"


def unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if (
        isinstance(exc, HTTPException)
        and exc.status_code == 405
        and request.method in ("GET", "HEAD")
        and not is_htmx(request)
    ):
        return Redirect(page_above(request.url.path), status_code=303)
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        title = STATUS_TEXT.get(exc.status_code, "Pedido recusado")
        detail = str(exc.detail)
        if exc.status_code == 404:
            detail = "Esta página não existe."
        elif detail.startswith(ENGLISH_STOCK_DETAILS):  # Litestar's own words: say it in ours
            detail = generic_message(exc.status_code)
        return _problem(request, exc.status_code, title, detail)
    log.exception("unhandled_error", path=request.url.path)
    return _problem(
        request, 500, "Erro inesperado", "Algo deu errado do nosso lado; a equipe foi avisada."
    )
