"""The ``log`` provider: for demos and development, a message is "sent" to the log only."""

from __future__ import annotations

from notifier.usecases.ports import LookupResult, OutgoingSms, Receipt, SentQuery
from shared.logging import get_logger

log = get_logger(__name__)


class LogProvider:
    name = "log"
    supports_idempotency = True  # nothing leaves the process, so nothing can repeat
    supports_lookup = False  # nothing to ask: a second "send" is a second log line

    async def send(self, sms: OutgoingSms) -> Receipt:
        log.info("sms_sent_to_log", to=sms.to, key=sms.idempotency_key, body=sms.body)
        return Receipt(provider_message_id=f"log:{sms.idempotency_key}")

    async def lookup(self, query: SentQuery) -> LookupResult:
        return LookupResult("unknown", detail="log: no lookup")

    async def aclose(self) -> None:
        return None
