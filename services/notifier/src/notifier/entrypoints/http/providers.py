"""Providers' callbacks: customers' replies (opt-out / opt-in) and delivery reports.

``POST /api/v1/providers/{provider}/inbound`` and ``…/status`` for ``http``, ``zenvia`` and
``twilio``. They carry no staff token (``opt=PUBLIC``); each request must carry the secret
``NOTIFIER_CALLBACK_TOKEN`` as ``?token=`` or header ``X-Etapa-Callback-Token`` (401 without
it; 403 when the setting is empty, so callbacks are off by default). Twilio's requests must
also carry a valid ``X-Twilio-Signature`` when ``NOTIFIER_TWILIO_AUTH_TOKEN`` is set.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from litestar import Controller, MediaType, Request, Response, post
from litestar.di import NamedDependency
from litestar.exceptions import (
    ClientException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.params import PathParameter
from pydantic import BaseModel, Field, RootModel, ValidationError

from notifier.domain.callbacks import (
    CALLBACK_PROVIDERS,
    CallbackError,
    Payload,
    parse_inbound,
    parse_status,
    twilio_signature,
)
from notifier.usecases.delivery_report import apply_report
from notifier.usecases.inbound_reply import handle_reply
from notifier.usecases.ports import UnitOfWork
from shared.auth import PUBLIC
from shared.clock import Clock
from shared.logging import get_logger
from shared.openapi import CALLBACK_TOKEN, REQUEST_BODY_OPT, RESPONSE_CONTENT_OPT
from shared.phones import InvalidPhone
from shared.query_parameters import ANY_QUERY

log = get_logger(__name__)

T = TypeVar("T")
TOKEN_HEADER = "X-Etapa-Callback-Token"  # noqa: S105 - a header name, not a secret
_EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@dataclass(frozen=True, slots=True)
class CallbackSettings:
    token: str | None = field(repr=False)
    twilio_auth_token: str | None = field(repr=False)
    public_url: str | None
    clock: Clock


class HttpReply(BaseModel):
    """``http``: a customer's reply."""

    sender: str = Field(alias="from", description="the customer's number")
    text: str


class HttpStatusReport(BaseModel):
    """``http``: a delivery report."""

    id: str = Field(description="the provider's message id")
    status: str = Field(description="delivered or failed (others change nothing)")
    reason: str | None = None


class ZenviaContent(BaseModel):
    type: str
    text: str | None = None


class ZenviaMessage(BaseModel):
    id: str | None = None
    sender: str | None = Field(default=None, alias="from")
    direction: str | None = None
    contents: list[ZenviaContent] = []


class ZenviaCause(BaseModel):
    reason: str | None = None
    details: str | None = None


class ZenviaMessageStatus(BaseModel):
    code: str = Field(description="SENT, DELIVERED, NOT_DELIVERED, …")
    description: str | None = None
    causes: list[ZenviaCause] = []


class ZenviaEvent(BaseModel):
    """``zenvia``: a ``MESSAGE`` (reply) or ``MESSAGE_STATUS`` (report) subscription event.
    A report names its message as ``message.id`` (or the deprecated top-level ``messageId``)."""

    type: str = Field(description="MESSAGE or MESSAGE_STATUS")
    message: ZenviaMessage | None = None
    messageId: str | None = Field(default=None, deprecated=True)  # noqa: N815 - Zenvia's name
    messageStatus: ZenviaMessageStatus | None = None  # noqa: N815 - Zenvia's name


class JsonCallback(RootModel[HttpReply | HttpStatusReport | ZenviaEvent]):
    """The JSON body of an ``http`` or ``zenvia`` callback."""


class TwilioCallback(BaseModel):
    """``twilio``: the form Twilio posts (a reply: ``From``, ``Body``; a report:
    ``MessageSid``, ``MessageStatus``, ``ErrorCode``), signed with ``X-Twilio-Signature``."""

    From: str | None = None
    Body: str | None = None
    MessageSid: str | None = None
    MessageStatus: str | None = None
    ErrorCode: str | None = None


CALLBACK_BODY = {
    "application/json": JsonCallback,
    "application/x-www-form-urlencoded": TwilioCallback,
}
# the token may come in the query, beside whatever a provider adds to the address
CALLBACK_OPT = {**PUBLIC, REQUEST_BODY_OPT: CALLBACK_BODY, ANY_QUERY: True}
JSON_SHAPES: dict[tuple[str, str], type[BaseModel]] = {
    ("http", "inbound"): HttpReply,
    ("http", "status"): HttpStatusReport,
    ("zenvia", "inbound"): ZenviaEvent,
    ("zenvia", "status"): ZenviaEvent,
}
"""The documented shape of each JSON callback: a body that does not fit it (``{"from": {}}``
was read as the number ``"{}"``) is refused with the field named, before it is read."""
_RESULT = {"type": "object", "properties": {"result": {"type": "string"}}, "required": ["result"]}
INBOUND_OPT = {
    **CALLBACK_OPT,
    # Twilio is answered with empty TwiML (no reply SMS), the others with the JSON result.
    RESPONSE_CONTENT_OPT: {"application/json": _RESULT, MediaType.XML.value: {"type": "string"}},
}
Provider = Annotated[
    str,
    PathParameter(
        description="the SMS provider posting", schema_extra={"enum": list(CALLBACK_PROVIDERS)}
    ),
]
"""The documented values; any other answers 404 naming them."""


class ProviderCallbackController(Controller):
    path = "/api/v1/providers"
    tags = ["provider callbacks"]

    @post("/{provider:str}/inbound", opt=INBOUND_OPT, security=CALLBACK_TOKEN, status_code=200)
    async def inbound(
        self,
        request: Request[Any, Any, Any],
        provider: Provider,
        uow: NamedDependency[UnitOfWork],
        callbacks: NamedDependency[CallbackSettings],
    ) -> Response[Any]:
        """A customer's reply: PARE/SAIR/STOP/CANCELAR opt the number out, VOLTAR/START in."""
        payload = await _authenticated_payload(request, provider, callbacks, "inbound")
        reply = _parsed(lambda: parse_inbound(provider, payload))
        try:
            result = await handle_reply(uow, provider, reply, callbacks.clock())
        except InvalidPhone as exc:
            raise ClientException(f"from: {exc}") from None
        if provider == "twilio":
            return Response(_EMPTY_TWIML, media_type=MediaType.XML)
        return Response({"result": result})

    @post("/{provider:str}/status", opt=CALLBACK_OPT, security=CALLBACK_TOKEN, status_code=200)
    async def status(
        self,
        request: Request[Any, Any, Any],
        provider: Provider,
        uow: NamedDependency[UnitOfWork],
        callbacks: NamedDependency[CallbackSettings],
    ) -> dict[str, str]:
        """A delivery report: a sent message becomes delivered or failed."""
        payload = await _authenticated_payload(request, provider, callbacks, "status")
        report = _parsed(lambda: parse_status(provider, payload))
        if report is None:
            return {"result": "ignored"}
        return {"result": await apply_report(uow, provider, report, callbacks.clock())}


async def _authenticated_payload(
    request: Request[Any, Any, Any], provider: str, callbacks: CallbackSettings, kind: str
) -> Payload:
    if provider not in CALLBACK_PROVIDERS:
        raise NotFoundException(f"provider {provider!r} unknown; one of {CALLBACK_PROVIDERS}")
    if not callbacks.token:
        raise PermissionDeniedException("callbacks are off: NOTIFIER_CALLBACK_TOKEN is not set")
    given = request.query_params.get("token") or request.headers.get(TOKEN_HEADER) or ""
    if not hmac.compare_digest(given.encode(), callbacks.token.encode()):
        raise NotAuthorizedException(f"token: missing or wrong (?token= / {TOKEN_HEADER})")
    if provider == "twilio":
        form = {key: str(value) for key, value in (await request.form()).items()}
        if callbacks.twilio_auth_token:
            url = str(request.url)
            if callbacks.public_url:
                query = f"?{request.url.query}" if request.url.query else ""
                url = callbacks.public_url.rstrip("/") + request.url.path + query
            expected = twilio_signature(callbacks.twilio_auth_token, url, form)
            signature = request.headers.get("X-Twilio-Signature", "")
            if not hmac.compare_digest(signature.encode(), expected.encode()):
                raise NotAuthorizedException("X-Twilio-Signature: missing or invalid")
        return form
    try:
        payload = json.loads(await request.body() or b"null")
    except ValueError:
        raise ClientException("body: not JSON") from None
    if not isinstance(payload, dict):
        raise ClientException("body: a JSON object is required")
    _check_shape(JSON_SHAPES[(provider, kind)], payload)
    return payload


def _check_shape(shape: type[BaseModel], payload: Payload) -> None:
    try:
        shape.model_validate(payload)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "body"
        problem = "obrigatório" if error["type"] == "missing" else error["msg"]
        raise ClientException(f"{field}: {problem}") from None


def _parsed(parse: Callable[[], T]) -> T:
    try:
        return parse()
    except CallbackError as exc:
        raise ClientException(str(exc)) from None
