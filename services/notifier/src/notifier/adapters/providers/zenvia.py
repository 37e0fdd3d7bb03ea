"""Zenvia, SMS over its API v2.

Request: ``POST {base}/v2/channels/sms/messages`` with ``X-API-TOKEN: <NOTIFIER_ZENVIA_TOKEN>``
and body ``{"from": <NOTIFIER_ZENVIA_FROM>, "to": "5511…", "contents": [{"type": "text",
"text": …}]}`` (the number without ``+``, as Zenvia writes it). Answer: the message with its
``id``, which delivery reports (``MESSAGE_STATUS`` events) carry as ``messageId``.

Zenvia's API v2 documents no idempotency key, so ``supports_idempotency`` is false: a retry
after a timeout whose request did reach Zenvia can send the message twice (see the README).

No lookup (``supports_lookup`` false): in API v2 the message ``id`` is Zenvia's own (read-only
in its OpenAPI spec), so a message whose answer was lost cannot be found by an id of ours, and
v2 documents no per-message read or search (its message report is counts per channel). Zenvia's
older SMS API (``api-rest.zenvia.com``: ``POST /services/send-sms`` with our own ``id``,
``GET /services/get-sms-status/{id}``) has one; this adapter does not use that API.
"""

from __future__ import annotations

from notifier.adapters.providers._http import ProviderClient, text_field
from notifier.usecases.ports import LookupResult, OutgoingSms, Receipt, SentQuery

DEFAULT_BASE_URL = "https://api.zenvia.com"


class ZenviaProvider:
    name = "zenvia"
    supports_idempotency = False
    supports_lookup = False

    def __init__(
        self, *, token: str, sender: str, base_url: str = DEFAULT_BASE_URL, timeout: float = 10.0
    ) -> None:
        self._sender = sender
        self._client = ProviderClient(base_url.rstrip("/"), timeout, headers={"X-API-TOKEN": token})

    async def send(self, sms: OutgoingSms) -> Receipt:
        answer = await self._client.post(
            self.name,
            "/v2/channels/sms/messages",
            json={
                "from": self._sender,
                "to": sms.to.lstrip("+"),
                "contents": [{"type": "text", "text": sms.body}],
            },
        )
        return Receipt(provider_message_id=text_field(answer, "id"))

    async def lookup(self, query: SentQuery) -> LookupResult:
        return LookupResult("unknown", detail="zenvia: API v2 has no per-message lookup")

    async def aclose(self) -> None:
        await self._client.aclose()
