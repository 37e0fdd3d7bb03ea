"""The providers' lookups (issue 16, item 6): the exact request, and how a documented answer
reads — Twilio's Messages list (``GET /2010-04-01/Accounts/{sid}/Messages.json``, its
``messages`` page in Twilio's shape, RFC 2822 dates) and the ``http`` contract's
``GET <url>?idempotency_key=``. Handwritten examples on ``httpx.MockTransport``; the same
adapters against the fake provider over real HTTP are in
``tests/integration/notifier/test_provider_requests.py``."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from notifier.adapters.providers.http import HttpWebhookProvider
from notifier.adapters.providers.twilio import TwilioProvider
from notifier.adapters.providers.zenvia import ZenviaProvider
from notifier.usecases.ports import LookupResult, SentQuery

BODY = "Olá Ana! Sua OS SP01-000123 está pronta na Visão Clara Paulista."
ATTEMPT = datetime(2026, 11, 24, 15, 0, 0, tzinfo=UTC)
QUERY = SentQuery("ordem:1", "+5511987654321", BODY, ATTEMPT)


def twilio_message(
    sid: str,
    body: str,
    created: str,
    *,
    to: str = "+5511987654321",
    direction: str = "outbound-api",
) -> dict[str, Any]:
    """One Message resource as Twilio's API reference shows it."""
    return {
        "account_sid": "AC123",
        "api_version": "2010-04-01",
        "body": body,
        "date_created": created,
        "date_sent": None,
        "date_updated": created,
        "direction": direction,
        "error_code": None,
        "error_message": None,
        "from": "+15005550006" if direction != "inbound" else to,
        "messaging_service_sid": None,
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": "queued",
        "subresource_uris": {"media": f"/2010-04-01/Accounts/AC123/Messages/{sid}/Media.json"},
        "to": to if direction != "inbound" else "+15005550006",
        "uri": f"/2010-04-01/Accounts/AC123/Messages/{sid}.json",
    }


LIST_URI = "/2010-04-01/Accounts/AC123/Messages.json?To=%2B5511987654321&PageSize=50&Page=0"


def page(messages: list[dict[str, Any]], size: int = 50) -> dict[str, Any]:
    return {
        "end": max(0, len(messages) - 1),
        "first_page_uri": LIST_URI,
        "messages": messages,
        "next_page_uri": None,
        "page": 0,
        "page_size": size,
        "previous_page_uri": None,
        "start": 0,
        "uri": LIST_URI,
    }


def twilio(
    answer: Callable[[httpx.Request], httpx.Response], sender: str = "+15005550006"
) -> tuple[TwilioProvider, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)

    provider = TwilioProvider(
        account_sid="AC123", auth_token="twilio-secret", sender=sender, base_url="https://x"
    )
    provider._client = httpx.AsyncClient(
        base_url="https://api.twilio.com",
        transport=httpx.MockTransport(handler),
        auth=httpx.BasicAuth("AC123", "twilio-secret"),
    )
    return provider, seen


async def test_twilio_lookup_request_lists_the_numbers_latest_messages() -> None:
    provider, seen = twilio(lambda request: httpx.Response(200, json=page([])))
    assert await provider.lookup(QUERY) == LookupResult("not_found")
    (request,) = seen
    assert request.method == "GET"
    assert request.url.path == "/2010-04-01/Accounts/AC123/Messages.json"
    assert dict(request.url.params) == {
        "To": "+5511987654321",
        "From": "+15005550006",
        "PageSize": "50",
    }
    assert request.headers["authorization"] == (
        "Basic " + base64.b64encode(b"AC123:twilio-secret").decode()
    )


async def test_twilio_lookup_with_a_messaging_service_does_not_filter_by_sender() -> None:
    provider, seen = twilio(lambda request: httpx.Response(200, json=page([])), sender="MG999")
    await provider.lookup(QUERY)
    assert "From" not in dict(seen[0].url.params)


async def test_twilio_lookup_finds_our_outbound_message_since_the_attempt() -> None:
    listed = [
        twilio_message(
            "SMreply", "OK, obrigado", "Tue, 24 Nov 2026 15:02:00 +0000", direction="inbound"
        ),
        twilio_message("SMours", BODY, "Tue, 24 Nov 2026 15:00:03 +0000"),
        twilio_message(
            "SMother", "Olá Ana! Sua OS SP01-000099 está pronta.", "Tue, 24 Nov 2026 14:59:00 +0000"
        ),
    ]
    provider, _ = twilio(lambda request: httpx.Response(200, json=page(listed)))
    assert await provider.lookup(QUERY) == LookupResult("accepted", "SMours")


@pytest.mark.parametrize(
    ("listed", "expected"),
    [
        # the same body, sent long before the attempt: an older message, not this one
        ([twilio_message("SMold", BODY, "Mon, 16 Nov 2026 10:00:00 +0000")], "not_found"),
        # another body to the number since the attempt: not ours
        ([twilio_message("SMx", "Outra mensagem", "Tue, 24 Nov 2026 15:00:05 +0000")], "not_found"),
        # a full page, all newer than the attempt: ours may be on the next page
        (
            [
                twilio_message(f"SM{n}", "Outra", "Tue, 24 Nov 2026 15:10:00 +0000")
                for n in range(50)
            ],
            "unknown",
        ),
    ],
)
async def test_twilio_lookup_answers(listed: list[dict[str, Any]], expected: str) -> None:
    provider, _ = twilio(lambda request: httpx.Response(200, json=page(listed)))
    assert (await provider.lookup(QUERY)).found == expected


async def test_twilio_lookup_within_the_clock_margin_counts() -> None:
    """Twilio's clock a little behind ours: created 2 minutes "before" the attempt began."""
    listed = [twilio_message("SMours", BODY, "Tue, 24 Nov 2026 14:58:00 +0000")]
    provider, _ = twilio(lambda request: httpx.Response(200, json=page(listed)))
    assert await provider.lookup(QUERY) == LookupResult("accepted", "SMours")


@pytest.mark.parametrize("status", [401, 429, 500, 503])
async def test_twilio_lookup_that_fails_cannot_tell(status: int) -> None:
    provider, _ = twilio(lambda request: httpx.Response(status, json={"code": 20003}))
    result = await provider.lookup(QUERY)
    assert result.found == "unknown"
    assert result.detail == f"twilio: HTTP {status}"


def http_provider(
    answer: Callable[[httpx.Request], httpx.Response],
) -> tuple[HttpWebhookProvider, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)

    provider = HttpWebhookProvider("https://sms.example/sms", token="http-secret")
    provider._client = httpx.AsyncClient(
        transport=httpx.MockTransport(handler), headers={"Authorization": "Bearer http-secret"}
    )
    return provider, seen


@pytest.mark.parametrize(
    ("status", "answer", "expected"),
    [
        (200, {"id": "p-7"}, LookupResult("accepted", "p-7")),
        (404, {"code": "NOT_FOUND"}, LookupResult("not_found")),
        (503, {}, LookupResult("unknown", detail="http: HTTP 503")),
    ],
)
async def test_http_lookup_by_our_key(
    status: int, answer: dict[str, Any], expected: LookupResult
) -> None:
    provider, seen = http_provider(lambda request: httpx.Response(status, json=answer))
    assert await provider.lookup(QUERY) == expected
    (request,) = seen
    assert (request.method, str(request.url)) == (
        "GET",
        "https://sms.example/sms?idempotency_key=ordem%3A1",
    )
    assert request.headers["authorization"] == "Bearer http-secret"


def test_zenvia_v2_offers_no_lookup() -> None:
    assert ZenviaProvider(token="t", sender="etapa").supports_lookup is False
