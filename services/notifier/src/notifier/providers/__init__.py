"""SMS providers behind one interface; the composition root picks them by settings.

A provider's ``send`` returns a :class:`Receipt` or raises :class:`PermanentSendError` (the
provider refused this message for good: invalid number, rejected content) or
:class:`TransientSendError` (timeout, connection error, 5xx, 429, bad credentials: worth
trying again later, or on the fallback provider). ``supports_idempotency`` says whether the
provider drops a repeat of the same idempotency key itself.
"""

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
    provider_message_id: str | None
    """The provider's id for the message (matches its delivery reports), when it gave one."""


class PermanentSendError(Exception):
    """The provider refused the message for good (invalid number…): do not retry."""


class TransientSendError(Exception):
    """The provider could not take the message now (timeout, 5xx…): try again later."""


class AmbiguousSendError(TransientSendError):
    """The request went out and no answer came back: the provider may have sent the SMS.

    A provider that takes an idempotency key gets the same request again safely; one that does
    not (Zenvia, Twilio) is not asked again, or the customer could get the SMS twice.
    """


class SmsProvider(Protocol):
    name: str
    supports_idempotency: bool

    async def send(self, sms: OutgoingSms) -> Receipt: ...

    async def aclose(self) -> None: ...
