"""Zenvia, SMS over its API v2.

Request: ``POST {base}/v2/channels/sms/messages`` with ``X-API-TOKEN: <NOTIFIER_ZENVIA_TOKEN>``
and body ``{"from": <NOTIFIER_ZENVIA_FROM>, "to": "5511…", "contents": [{"type": "text",
"text": …}]}`` (the number without ``+``, as Zenvia writes it). Answer: the message with its
``id``, which delivery reports (``MESSAGE_STATUS`` events) carry as ``messageId``.

Zenvia's API v2 documents no idempotency key, so ``supports_idempotency`` is false: a retry
after a timeout whose request did reach Zenvia can send the message twice (see the README).
"""

from __future__ import annotations

from notifier.adapters.providers._http import new_client, post, text_field
from notifier.usecases.ports import OutgoingSms, Receipt

DEFAULT_BASE_URL = "https://api.zenvia.com"


class ZenviaProvider:
    name = "zenvia"
    supports_idempotency = False

    def __init__(
        self, *, token: str, sender: str, base_url: str = DEFAULT_BASE_URL, timeout: float = 10.0
    ) -> None:
        self._sender = sender
        self._client = new_client(base_url.rstrip("/"), timeout, headers={"X-API-TOKEN": token})

    async def send(self, sms: OutgoingSms) -> Receipt:
        answer = await post(
            self._client,
            self.name,
            "/v2/channels/sms/messages",
            json={
                "from": self._sender,
                "to": sms.to.lstrip("+"),
                "contents": [{"type": "text", "text": sms.body}],
            },
        )
        return Receipt(provider_message_id=text_field(answer, "id"))

    async def aclose(self) -> None:
        await self._client.aclose()
