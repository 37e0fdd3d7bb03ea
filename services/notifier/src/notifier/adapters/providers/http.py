"""The generic ``http`` provider: POST the message as JSON to a webhook (``NOTIFIER_HTTP_URL``).

Request: ``POST <url>`` with header ``Idempotency-Key: <order id>:<entry sequence>`` (and
``Authorization: Bearer <NOTIFIER_HTTP_TOKEN>`` when set), body
``{"to", "body", "idempotency_key", "encoding", "segments"}``. Answer: 2xx with JSON
``{"id": "<provider message id>"}``. The receiver is expected to drop a repeated key (the
test and benchmark fake does), so ``supports_idempotency`` is true. Delivery reports and
replies come back to ``/api/v1/providers/http/{status,inbound}``.
"""

from __future__ import annotations

from etapa_contracts.sms_template import count_segments
from notifier.adapters.providers._http import new_client, post, text_field
from notifier.usecases.ports import OutgoingSms, Receipt


class HttpWebhookProvider:
    name = "http"
    supports_idempotency = True

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 10.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._url = url
        self._client = new_client("", timeout, headers=headers)

    async def send(self, sms: OutgoingSms) -> Receipt:
        segments = count_segments(sms.body)
        answer = await post(
            self._client,
            self.name,
            self._url,
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

    async def aclose(self) -> None:
        await self._client.aclose()
