"""Twilio, Programmable Messaging.

Request: ``POST {base}/2010-04-01/Accounts/{sid}/Messages.json``, form-encoded
``To``, ``Body`` and ``From`` (or ``MessagingServiceSid`` when the sender starts with ``MG``),
plus ``StatusCallback`` when a public URL for delivery reports is configured; HTTP basic
auth with the account SID and auth token. Answer: the message resource, whose ``sid``
delivery reports carry as ``MessageSid``.

Twilio's Messages API takes no idempotency key (its ``I-Twilio-Idempotency-Token`` header is
on the webhooks Twilio sends, not on requests to it), so ``supports_idempotency`` is false.
"""

from __future__ import annotations

import httpx

from notifier.adapters.providers._http import new_client, post, text_field
from notifier.usecases.ports import OutgoingSms, Receipt

DEFAULT_BASE_URL = "https://api.twilio.com"


class TwilioProvider:
    name = "twilio"
    supports_idempotency = False

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        sender: str,
        base_url: str = DEFAULT_BASE_URL,
        status_callback: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._path = f"/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._sender = sender
        self._status_callback = status_callback
        self._client = new_client(
            base_url.rstrip("/"), timeout, auth=httpx.BasicAuth(account_sid, auth_token)
        )

    async def send(self, sms: OutgoingSms) -> Receipt:
        form = {"To": sms.to, "Body": sms.body}
        form["MessagingServiceSid" if self._sender.startswith("MG") else "From"] = self._sender
        if self._status_callback:
            form["StatusCallback"] = self._status_callback
        answer = await post(self._client, self.name, self._path, data=form)
        return Receipt(provider_message_id=text_field(answer, "sid"))

    async def aclose(self) -> None:
        await self._client.aclose()
