"""Providers' callbacks read into plain values (pure): customers' replies and delivery reports.

Shapes:

- ``http``: JSON. Reply ``{"from": "+55…", "text": "PARE"}``; report
  ``{"id": "<provider message id>", "status": "delivered" | "failed", "reason": "…"}``.
- ``zenvia``: JSON webhook events. Reply: ``{"type": "MESSAGE", "message": {"from": "5511…",
  "direction": "IN", "contents": [{"type": "text", "text": "PARE"}]}}``; report:
  ``{"type": "MESSAGE_STATUS", "messageId": "…", "messageStatus": {"code": "DELIVERED" |
  "NOT_DELIVERED" | "REJECTED" | "SENT" | …, "description": "…", "causes": […]}}``.
- ``twilio``: form-encoded. Reply ``From``, ``Body``; report ``MessageSid``, ``MessageStatus``
  (``delivered``; ``undelivered`` / ``failed`` with ``ErrorCode``; others are intermediate).

Intermediate reports (sent, queued…) change nothing. A payload missing a required field, or
naming a message id longer than ``MAX_MESSAGE_ID`` characters (no provider's is: Twilio's SIDs
have 34, Zenvia's ids 36), is a :class:`CallbackError` naming it (the API answers 400).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

CALLBACK_PROVIDERS = ("http", "zenvia", "twilio")
Payload = Mapping[str, object]
"""A callback's body: parsed JSON, or Twilio's form."""
Outcome = Literal["delivered", "failed"]
MAX_MESSAGE_ID = 200

_ZENVIA_OUTCOMES: dict[str, Outcome] = {
    "DELIVERED": "delivered",
    "READ": "delivered",
    "NOT_DELIVERED": "failed",
    "REJECTED": "failed",
}
_TWILIO_OUTCOMES: dict[str, Outcome] = {
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "failed",
    "failed": "failed",
}


class CallbackError(ValueError):
    """A callback payload without what it must carry; the message names the field."""


@dataclass(frozen=True, slots=True)
class InboundReply:
    phone: str
    text: str


@dataclass(frozen=True, slots=True)
class StatusReport:
    provider_message_id: str
    outcome: Outcome | None
    """None for an intermediate status, which changes nothing."""
    reason: str | None = None


def parse_inbound(provider: str, payload: Payload) -> InboundReply | None:
    """The customer's reply, or None for an event that is no reply (Zenvia's other events)."""
    if provider == "zenvia":
        if payload.get("type", "MESSAGE") != "MESSAGE":
            return None
        message = _object(payload, "message")
        if message.get("direction", "IN") != "IN":
            return None
        texts = [
            str(c.get("text", ""))
            for c in _list(message, "contents", "message.contents")
            if isinstance(c, dict) and c.get("type") == "text"
        ]
        return InboundReply(_text(message, "from", "message.from"), " ".join(texts))
    if provider == "twilio":
        return InboundReply(_text(payload, "From"), str(payload.get("Body", "")))
    return InboundReply(_text(payload, "from"), str(payload.get("text", payload.get("body", ""))))


def parse_status(provider: str, payload: Payload) -> StatusReport | None:
    """The delivery report, or None for an event that is no report."""
    if provider == "zenvia":
        if payload.get("type", "MESSAGE_STATUS") != "MESSAGE_STATUS":
            return None
        status = _object(payload, "messageStatus")
        code = _text(status, "code", "messageStatus.code").upper()
        causes = _list(status, "causes", "messageStatus.causes")
        reason = "; ".join(
            str(c.get("details") or c.get("reason"))
            for c in causes
            if isinstance(c, dict) and (c.get("details") or c.get("reason"))
        )
        return StatusReport(
            _message_id(_zenvia_message_id(payload), "message.id"),
            _ZENVIA_OUTCOMES.get(code),
            reason or str(status.get("description") or code),
        )
    if provider == "twilio":
        status_name = _text(payload, "MessageStatus").lower()
        error = payload.get("ErrorCode")
        return StatusReport(
            _message_id(_text(payload, "MessageSid"), "MessageSid"),
            _TWILIO_OUTCOMES.get(status_name),
            f"{status_name} (erro Twilio {error})" if error else status_name,
        )
    status_name = _text(payload, "status").lower()
    outcome: Outcome | None = (
        status_name if status_name in ("delivered", "failed") else None  # type: ignore[assignment]
    )
    return StatusReport(
        _message_id(_text(payload, "id"), "id"), outcome, str(payload.get("reason") or status_name)
    )


def _message_id(value: str, field: str) -> str:
    if len(value) > MAX_MESSAGE_ID:
        raise CallbackError(f"{field}: mais de {MAX_MESSAGE_ID} caracteres ({len(value)})")
    return value


def _zenvia_message_id(payload: Payload) -> str:
    """Zenvia's current ``message.id``, or the deprecated top-level ``messageId``."""
    message = payload.get("message")
    if isinstance(message, dict) and str(message.get("id") or "").strip():
        return str(message["id"]).strip()
    if str(payload.get("messageId") or "").strip():
        return str(payload["messageId"]).strip()
    raise CallbackError("message.id: obrigatório (ou messageId, o formato antigo)")


def twilio_signature(auth_token: str, url: str, form: Mapping[str, str]) -> str:
    """Twilio's ``X-Twilio-Signature``: base64 HMAC-SHA1 of the URL then each sorted key+value."""
    signed = url + "".join(key + form[key] for key in sorted(form))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _object(payload: Payload, field: str) -> Payload:
    value = payload.get(field)
    if not isinstance(value, dict):
        raise CallbackError(f"{field}: obrigatório (um objeto)")
    return value


def _list(payload: Payload, field: str, name: str) -> list[object]:
    value = payload.get(field) or []
    if not isinstance(value, list):
        raise CallbackError(f"{name}: deve ser uma lista")
    return value


def _text(payload: Payload, field: str, name: str | None = None) -> str:
    value = payload.get(field)
    if value is None or str(value).strip() == "":
        raise CallbackError(f"{name or field}: obrigatório")
    return str(value).strip()
