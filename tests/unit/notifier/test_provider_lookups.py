"""The providers' lookups (issue 16, item 6): the exact request, and how a documented answer
reads — Twilio's Messages list (``GET /2010-04-01/Accounts/{sid}/Messages.json``, its
``messages`` page in Twilio's shape, RFC 2822 dates) and the ``http`` contract's
``GET <url>?idempotency_key=``. Handwritten answers from a local aiohttp server that notes each
request; the same adapters against the fake provider are in
``tests/integration/notifier/test_provider_requests.py``."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

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


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, str]
    authorization: str


@asynccontextmanager
async def answering(status: int, body: dict[str, Any]) -> AsyncIterator[tuple[str, list[Seen]]]:
    """A local server answering every request with ``status`` and ``body``; its URL and the
    requests it saw."""
    seen: list[Seen] = []

    async def handler(request: web.Request) -> web.Response:
        query = dict(request.query)
        seen.append(Seen(request.method, request.path, query, request.headers["Authorization"]))
        return web.json_response(body, status=status)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    server = TestServer(app)
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/"), seen
    finally:
        await server.close()


@asynccontextmanager
async def twilio(
    status: int, body: dict[str, Any], sender: str = "+15005550006"
) -> AsyncIterator[tuple[TwilioProvider, list[Seen]]]:
    async with answering(status, body) as (url, seen):
        provider = TwilioProvider(
            account_sid="AC123", auth_token="twilio-secret", sender=sender, base_url=url
        )
        try:
            yield provider, seen
        finally:
            await provider.aclose()


async def test_twilio_lookup_request_lists_the_numbers_latest_messages() -> None:
    async with twilio(200, page([])) as (provider, seen):
        assert await provider.lookup(QUERY) == LookupResult("not_found")
    (request,) = seen
    assert request.method == "GET"
    assert request.path == "/2010-04-01/Accounts/AC123/Messages.json"
    assert request.query == {"To": "+5511987654321", "From": "+15005550006", "PageSize": "50"}
    assert request.authorization == "Basic " + base64.b64encode(b"AC123:twilio-secret").decode()


async def test_twilio_lookup_with_a_messaging_service_does_not_filter_by_sender() -> None:
    async with twilio(200, page([]), sender="MG999") as (provider, seen):
        await provider.lookup(QUERY)
    assert "From" not in seen[0].query


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
    async with twilio(200, page(listed)) as (provider, _):
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
    async with twilio(200, page(listed)) as (provider, _):
        assert (await provider.lookup(QUERY)).found == expected


async def test_twilio_lookup_within_the_clock_margin_counts() -> None:
    """Twilio's clock a little behind ours: created 2 minutes "before" the attempt began."""
    listed = [twilio_message("SMours", BODY, "Tue, 24 Nov 2026 14:58:00 +0000")]
    async with twilio(200, page(listed)) as (provider, _):
        assert await provider.lookup(QUERY) == LookupResult("accepted", "SMours")


@pytest.mark.parametrize("status", [401, 429, 500, 503])
async def test_twilio_lookup_that_fails_cannot_tell(status: int) -> None:
    async with twilio(status, {"code": 20003}) as (provider, _):
        result = await provider.lookup(QUERY)
    assert result.found == "unknown"
    assert result.detail == f"twilio: HTTP {status}"


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
    async with answering(status, answer) as (url, seen):
        provider = HttpWebhookProvider(f"{url}/sms", token="http-secret")
        try:
            assert await provider.lookup(QUERY) == expected
        finally:
            await provider.aclose()
    (request,) = seen
    assert (request.method, request.path, request.query) == (
        "GET",
        "/sms",
        {"idempotency_key": "ordem:1"},
    )
    assert request.authorization == "Bearer http-secret"


def test_zenvia_v2_offers_no_lookup() -> None:
    assert ZenviaProvider(token="t", sender="etapa").supports_lookup is False
