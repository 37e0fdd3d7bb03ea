"""The three services' HTTP APIs, called with the signed-in person's token.

Rules:
- The console never widens what the APIs allow: every call carries the person's own bearer
  token, so roles and tenant scoping stay where they are enforced.
- An API's 4xx becomes :class:`ApiRefusal` with its status, its message and the fields it
  named, for the page to show next to the field. A service that does not answer (connection
  refused, time-out, 5xx) becomes :class:`ServiceDown` naming it, for a banner — never a trace.
- One ``httpx.AsyncClient`` per process, made by the composition root, closed at shutdown.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx

from shared.logging import CORRELATION_HEADER, current_correlation_id, get_logger
from shared.tracing import context_headers

log = get_logger(__name__)


def _propagated() -> dict[str, str]:
    """What every API call carries: the person's correlation id and, when tracing is on, the
    page's trace context (``traceparent``), so the API's spans join the console's trace."""
    return {CORRELATION_HEADER: current_correlation_id(), **(context_headers() or {})}


class Service(StrEnum):
    INTAKE = "intake"
    WORKFLOW = "workflow"
    NOTIFIER = "notifier"


SERVICE_LABELS = {
    Service.INTAKE: "cadastro de OS (intake)",
    Service.WORKFLOW: "fluxo de OS (workflow)",
    Service.NOTIFIER: "mensagens (notifier)",
}


@dataclass
class ApiRefusal(Exception):
    """The API answered 4xx: the request was refused, with a reason a person can read."""

    status: int
    message: str
    fields: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status}: {self.message}"


@dataclass
class ServiceDown(Exception):
    """The service did not answer usefully (down, timed out, or failed with 5xx)."""

    service: Service

    def __str__(self) -> str:
        return f"{self.service.value} unavailable"


Json = Any
PAGE = 200
PAGES_AT_ONCE = 4
Params = dict[str, str | int | list[str]]


class ApiClient:
    """Calls intake, workflow and the notifier on behalf of one person (their token)."""

    def __init__(self, http: httpx.AsyncClient, base_urls: dict[Service, str]) -> None:
        self._http = http
        self._base = base_urls

    async def request(
        self,
        service: Service,
        method: str,
        path: str,
        *,
        token: str | None,
        params: Params | None = None,
        json: Json = None,
        headers: dict[str, str] | None = None,
    ) -> Json:
        sent_headers = {**_propagated(), **(headers or {})}
        if token:
            sent_headers["Authorization"] = f"Bearer {token}"
        url = self._base[service] + path
        try:
            response = await self._http.request(
                method,
                url,
                params={k: v for k, v in (params or {}).items() if v not in ("", None)},
                json=json,
                headers=sent_headers,
            )
        except httpx.HTTPError as exc:
            log.warning("api_unreachable", service=service.value, error=type(exc).__name__)
            raise ServiceDown(service) from None
        if response.status_code >= 500:
            log.warning("api_failed", service=service.value, status=response.status_code)
            raise ServiceDown(service)
        if response.status_code >= 400:
            raise refusal_from(response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def public_read(
        self, service: Service, path: str, *, headers: dict[str, str] | None = None
    ) -> tuple[int, Json]:
        """A read without a token whose 404 has a body to show: ``(status, body)``.

        2xx, 404 and 429 answer their status and JSON body (``None`` when there is none);
        another 4xx is an :class:`ApiRefusal`; no answer or a 5xx is :class:`ServiceDown`.
        """
        sent_headers = {**_propagated(), **(headers or {})}
        try:
            response = await self._http.get(self._base[service] + path, headers=sent_headers)
        except httpx.HTTPError as exc:
            log.warning("api_unreachable", service=service.value, error=type(exc).__name__)
            raise ServiceDown(service) from None
        if response.status_code >= 500:
            log.warning("api_failed", service=service.value, status=response.status_code)
            raise ServiceDown(service)
        if response.status_code >= 400 and response.status_code not in (404, 429):
            raise refusal_from(response)
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        return response.status_code, body

    async def get(
        self, service: Service, path: str, *, token: str | None, params: Params | None = None
    ) -> Json:
        return await self.request(service, "GET", path, token=token, params=params)

    async def post(
        self,
        service: Service,
        path: str,
        *,
        token: str | None,
        json: Json = None,
        headers: dict[str, str] | None = None,
    ) -> Json:
        return await self.request(service, "POST", path, token=token, json=json, headers=headers)

    async def get_all(
        self, service: Service, path: str, *, token: str, params: Params | None = None
    ) -> list[Json]:
        """Every item of a paged list, in order: pages of 200 (the APIs' cap), four at a time."""
        items: list[Json] = []
        offset = 0
        while True:
            offsets = [offset + PAGE * i for i in range(PAGES_AT_ONCE if offset else 1)]
            pages = await asyncio.gather(
                *(
                    self.get(
                        service,
                        path,
                        token=token,
                        params={**(params or {}), "limit": PAGE, "offset": at},
                    )
                    for at in offsets
                )
            )
            for page in pages:
                items.extend(page["items"])
                if page.get("next_offset") is None:
                    return items
            offset = offsets[-1] + PAGE


def refusal_from(response: httpx.Response) -> ApiRefusal:
    """An API's 4xx body (Litestar's ``detail`` and ``extra``) as a refusal with field errors."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    detail = body.get("detail") if isinstance(body, dict) else None
    message = detail if isinstance(detail, str) and detail else _GENERIC[response.status_code]
    if response.status_code == 404 or message.startswith(ENGLISH_STOCK_DETAILS):
        # The APIs' own 404 texts and Litestar's validation summary are English; a person
        # reads Portuguese (the fields, translated by each form, still come with it).
        message = _GENERIC[response.status_code]
    fields: dict[str, str] = {}
    extra = body.get("extra") if isinstance(body, dict) else None
    if isinstance(extra, list):
        for entry in extra:  # pydantic's {key, message} or a service's own {field, problem}
            if not isinstance(entry, dict):
                continue
            key = entry.get("key") or entry.get("field")
            if key:
                fields.setdefault(
                    str(key), str(entry.get("message") or entry.get("problem") or "valor inválido")
                )
    elif isinstance(extra, dict):
        for key, value in extra.items():
            fields[str(key)] = str(value)
    return ApiRefusal(response.status_code, message, fields)


ENGLISH_STOCK_DETAILS = (
    "Validation failed",
    "Bad Request",
    "Not Found",
    "Method Not Allowed",
    # the APIs answer in Portuguese now (shared.problem_texts); their summaries still name
    # the method and path, which mean nothing to a person: the form shows the fields instead
    "Dados inválidos em ",
    "Requisição inválida",
    "Método não permitido",
)
"""How Litestar's own refusals begin: they are replaced by a plain Portuguese message."""


class _GenericMessages(dict[int, str]):
    def __missing__(self, status: int) -> str:
        return f"Pedido recusado ({status})."


_GENERIC = _GenericMessages(
    {
        400: "Dados inválidos.",
        401: "Sua sessão expirou; entre novamente.",
        403: "Seu perfil não permite esta ação.",
        404: "Não encontrado: não existe, ou não é da sua rede ou filial.",
        405: "Operação não permitida neste endereço.",
        409: "Conflito: os dados mudaram; recarregue a página.",
        413: "Pedido grande demais.",
        429: "Muitas tentativas; aguarde um minuto.",
    }
)


def generic_message(status: int) -> str:
    """A refusal with this status in Portuguese, when nothing more specific can be said."""
    return _GENERIC[status]
