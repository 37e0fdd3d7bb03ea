"""Twilio, Programmable Messaging.

Request: ``POST {base}/2010-04-01/Accounts/{sid}/Messages.json``, form-encoded
``To``, ``Body`` and ``From`` (or ``MessagingServiceSid`` when the sender starts with ``MG``),
plus ``StatusCallback`` when a public URL for delivery reports is configured; HTTP basic
auth with the account SID and auth token. Answer: the message resource, whose ``sid``
delivery reports carry as ``MessageSid``.

Twilio's Messages API takes no idempotency key (its ``I-Twilio-Idempotency-Token`` header is
on the webhooks Twilio sends, not on requests to it), so ``supports_idempotency`` is false.

Lookup (``supports_lookup``): ``GET {base}/2010-04-01/Accounts/{sid}/Messages.json`` with
``To=<number>`` (and ``From=<sender>`` when the sender is a number, not an ``MG…`` service) and
``PageSize=50``: the account's latest messages to that number, newest first. The message is
found when one of them is outbound, has our body and was created since the attempt began
(less ``CLOCK_MARGIN`` for the clocks' difference); its ``sid`` is recorded. No such message
on a page that reaches back before that time: not found. A full page still newer than that
(more than 50 messages to the number since), or any answer but 200: could not tell. No
``DateSent`` filter: a message still queued at Twilio has no send date yet.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import aiohttp

from notifier.adapters.providers._http import ProviderClient, text_field
from notifier.usecases.ports import LookupResult, OutgoingSms, Receipt, SentQuery

DEFAULT_BASE_URL = "https://api.twilio.com"
LOOKUP_PAGE_SIZE = 50
CLOCK_MARGIN = timedelta(minutes=5)


class TwilioProvider:
    name = "twilio"
    supports_idempotency = False
    supports_lookup = True

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
        self._client = ProviderClient(
            base_url.rstrip("/"),
            timeout,
            headers={"Authorization": aiohttp.encode_basic_auth(account_sid, auth_token)},
        )

    async def send(self, sms: OutgoingSms) -> Receipt:
        form = {"To": sms.to, "Body": sms.body}
        form["MessagingServiceSid" if self._sender.startswith("MG") else "From"] = self._sender
        if self._status_callback:
            form["StatusCallback"] = self._status_callback
        answer = await self._client.post(self.name, self._path, data=form)
        return Receipt(provider_message_id=text_field(answer, "sid"))

    async def lookup(self, query: SentQuery) -> LookupResult:
        params = {"To": query.to, "PageSize": str(LOOKUP_PAGE_SIZE)}
        if not self._sender.startswith("MG"):
            params["From"] = self._sender
        status, answer = await self._client.get(self._path, params=params)
        if status != 200 or not isinstance(answer, dict):
            return LookupResult("unknown", detail=f"twilio: HTTP {status}")
        listed = answer.get("messages")
        if not isinstance(listed, list):
            return LookupResult("unknown", detail="twilio: answer without messages")
        since = query.since - CLOCK_MARGIN
        oldest: datetime | None = None
        for item in listed:
            if not isinstance(item, dict):
                continue
            created = _when(item.get("date_created"))
            if created is None:
                continue
            oldest = created if oldest is None else min(oldest, created)
            if (
                created >= since
                and item.get("to") == query.to
                and str(item.get("direction", "")).startswith("outbound")
                and item.get("body") == query.body
            ):
                return LookupResult("accepted", text_field(item, "sid"))
        if len(listed) >= LOOKUP_PAGE_SIZE and (oldest is None or oldest >= since):
            return LookupResult("unknown", detail="twilio: more messages to the number since")
        return LookupResult("not_found")

    async def aclose(self) -> None:
        await self._client.aclose()


def _when(value: object) -> datetime | None:
    """Twilio's dates are RFC 2822 (``Thu, 24 Nov 2026 15:00:01 +0000``)."""
    if not isinstance(value, str):
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
