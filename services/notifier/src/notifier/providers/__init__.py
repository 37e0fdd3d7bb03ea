"""SMS providers behind one interface; the composition root picks one by settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class OutgoingSms:
    idempotency_key: str
    """``<order id>:<stage entry sequence>``: the same for every retry of one message."""
    to: str
    """E.164 phone number."""
    body: str


@dataclass(frozen=True, slots=True)
class Receipt:
    provider_message_id: str


class PermanentSendError(Exception):
    """The provider refused the message for good (invalid number…): do not retry."""


class SmsProvider(Protocol):
    name: str

    async def send(self, sms: OutgoingSms) -> Receipt: ...
