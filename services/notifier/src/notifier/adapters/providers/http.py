"""The generic ``http`` provider: POST the message as JSON to a webhook (``NOTIFIER_HTTP_URL``).

Request: ``POST <url>`` with header ``Idempotency-Key: <order id>:<entry sequence>`` (and
``Authorization: Bearer <NOTIFIER_HTTP_TOKEN>`` when set), body
``{"to", "body", "idempotency_key", "encoding", "segments"}``. Answer: 2xx with JSON
``{"id": "<provider message id>"}``. The receiver is expected to drop a repeated key (the
test and benchmark fake does), so ``supports_idempotency`` is true. Delivery reports and
replies come back to ``/api/v1/providers/http/{status,inbound}``.

Lookup (``supports_lookup``): ``GET <url>?idempotency_key=<key>`` (same headers) answers 200
with ``{"id"}`` when the receiver took that key, 404 when it did not; anything else is "could
not tell".
"""

from __future__ import annotations

from etapa_contracts.sms_template import count_segments
from notifier.adapters.providers._http import ProviderClient, text_field
from notifier.usecases.ports import LookupResult, OutgoingSms, Receipt, SentQuery


class HttpWebhookProvider:
    name = "http"
    supports_idempotency = True
    supports_lookup = True

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 10.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = ProviderClient(url, timeout, headers=headers)

    async def send(self, sms: OutgoingSms) -> Receipt:
        segments = count_segments(sms.body)
        answer = await self._client.post(
            self.name,
            "",
            headers={"Idempotency-Key": sms.idempotency_key},
            json={
                "to": sms.to,
                "body": sms.body,
                "idempotency_key": sms.idempotency_key,
                "encoding": segments.encoding,
                "segments": segments.segments,
            },
        )
        return Receipt(provider_message_id=text_field(answer, "id"))

    async def lookup(self, query: SentQuery) -> LookupResult:
        status, answer = await self._client.get(
            "", params={"idempotency_key": query.idempotency_key}
        )
        if status == 200:
            return LookupResult("accepted", text_field(answer, "id"))
        if status == 404:
            return LookupResult("not_found")
        return LookupResult("unknown", detail=f"http: HTTP {status}")

    async def aclose(self) -> None:
        await self._client.aclose()
