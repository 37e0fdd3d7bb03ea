"""The message labs send (queue ``etapa.lab``, key ``lab.<lab_code>.status``, or HTTP).

Reading it is pure: bytes in, a ``LabMessage`` or the reason it cannot be read out. Unknown
fields are ignored, so a lab may send more than we use; ``occurred_at`` must carry its offset.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from etapa_contracts.events import LabStatusCode
from shared.text import refuse_nul

LAB_CODE_PATTERN = r"^[A-Z0-9_-]{1,20}$"
LabCode = Annotated[str, StringConstraints(pattern=LAB_CODE_PATTERN)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class LabMessage(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    _no_nul = model_validator(mode="before")(refuse_nul)

    message_id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    lab_code: LabCode | None = Field(
        default=None,
        description="optional: the routing key (or the API key) already names the lab; when "
        "given, it must be the sending lab's code",
    )
    order_number: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)
    ]
    lab_order_number: ShortText | None = None
    status: LabStatusCode
    status_raw: ShortText | None = None
    eta: date | None = None
    occurred_at: AwareDatetime
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


@dataclass(frozen=True, slots=True)
class LabTimeWindow:
    """How far a lab's ``occurred_at`` may be from the time intake received the message."""

    back: timedelta = timedelta(days=30)
    ahead: timedelta = timedelta(minutes=10)

    def refusal(self, occurred_at: datetime, received_at: datetime) -> str | None:
        if occurred_at < received_at - self.back:
            return (
                f"occurred_at: {occurred_at.isoformat()} é anterior a {self.back.days} dias "
                "antes do recebimento; confira o relógio do laboratório"
            )
        if occurred_at > received_at + self.ahead:
            return (
                f"occurred_at: {occurred_at.isoformat()} está no futuro (mais de "
                f"{int(self.ahead.total_seconds() // 60)} min após o recebimento); confira o "
                "relógio do laboratório"
            )
        return None


@dataclass(frozen=True, slots=True)
class Unreadable:
    reason: str
    message_id: str | None
    """The lab's ``message_id`` when the body has a usable one, to recognise resends."""


def describe(error: ValidationError) -> str:
    """``status: Input should be 'received', …; occurred_at: Field required``."""
    parts = []
    for problem in error.errors(include_url=False):
        field = ".".join(str(p) for p in problem["loc"]) or "body"
        parts.append(f"{field}: {problem['msg']}")
    return "; ".join(parts)


def read(body: bytes) -> LabMessage | Unreadable:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:  # bad UTF-8 or JSON, huge numbers, deep nesting
        return Unreadable(f"body: not JSON ({str(exc)[:200]})", None)
    message_id = document.get("message_id") if isinstance(document, dict) else None
    usable_id = (
        message_id
        if isinstance(message_id, str) and 0 < len(message_id) <= 200 and "\x00" not in message_id
        else None
    )
    try:
        return LabMessage.model_validate(document)
    except ValidationError as exc:
        return Unreadable(describe(exc), usable_id)
