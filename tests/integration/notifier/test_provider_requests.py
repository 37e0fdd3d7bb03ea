"""Each provider adapter's exact request, against the fake provider over real HTTP."""

from __future__ import annotations

import asyncio
import base64
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from notifier.adapters.providers.factory import create_provider
from notifier.adapters.providers.http import HttpWebhookProvider
from notifier.config import NotifierSettings
from notifier.usecases.ports import (
    AmbiguousSendError,
    LookupResult,
    OutgoingSms,
    PermanentSendError,
    SentQuery,
    TransientSendError,
)
from notifier.usecases.send_round import may_send_again, send_in_round
from shared.settings import SettingsError
from tests.fakes.sms_provider import FakeSmsProvider

pytestmark = pytest.mark.integration

SMS = OutgoingSms(idempotency_key="ordem:1", to="+5511987654321", body="Olá Ana! OS pronta.")


def settings(fake: FakeSmsProvider, **env: str) -> NotifierSettings:
    base = {
        "NOTIFIER_HTTP_URL": f"{fake.url}/sms",
        "NOTIFIER_HTTP_TOKEN": "http-secret",
        "NOTIFIER_ZENVIA_TOKEN": "zenvia-secret",
        "NOTIFIER_ZENVIA_FROM": "etapa",
        "NOTIFIER_ZENVIA_BASE_URL": fake.url,
        "NOTIFIER_TWILIO_ACCOUNT_SID": "AC123",
        "NOTIFIER_TWILIO_AUTH_TOKEN": "twilio-secret",
        "NOTIFIER_TWILIO_FROM": "+15005550006",
        "NOTIFIER_TWILIO_BASE_URL": fake.url,
        "NOTIFIER_CALLBACK_TOKEN": "cb",
        "NOTIFIER_PUBLIC_URL": "https://etapa.example",
    }
    return NotifierSettings.from_env({**base, **env})


@pytest.fixture
async def fake() -> AsyncIterator[FakeSmsProvider]:
    fake = FakeSmsProvider()
    await fake.start()
    yield fake
    await fake.stop()


async def test_http_webhook_request(fake: FakeSmsProvider) -> None:
    provider = create_provider("http", settings(fake))
    receipt = await provider.send(SMS)
    await provider.aclose()
    [request] = fake.requests
    assert request.path == "/sms"
    assert request.headers["idempotency-key"] == "ordem:1"
    assert request.headers["authorization"] == "Bearer http-secret"
    assert request.body == {
        "to": "+5511987654321",
        "body": "Olá Ana! OS pronta.",
        "idempotency_key": "ordem:1",
        "encoding": "UCS-2",
        "segments": 1,
    }
    assert receipt.provider_message_id == fake.deliveries["ordem:1"]


async def test_zenvia_request(fake: FakeSmsProvider) -> None:
    provider = create_provider("zenvia", settings(fake))
    receipt = await provider.send(SMS)
    await provider.aclose()
    [request] = fake.requests
    assert request.path == "/v2/channels/sms/messages"
    assert request.headers["x-api-token"] == "zenvia-secret"
    assert request.headers["content-type"] == "application/json"
    assert request.body == {
        "from": "etapa",
        "to": "5511987654321",
        "contents": [{"type": "text", "text": "Olá Ana! OS pronta."}],
    }
    assert receipt.provider_message_id is not None


async def test_twilio_request(fake: FakeSmsProvider) -> None:
    provider = create_provider("twilio", settings(fake))
    receipt = await provider.send(SMS)
    await provider.aclose()
    [request] = fake.requests
    assert request.path == "/2010-04-01/Accounts/AC123/Messages.json"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert (
        request.headers["authorization"]
        == "Basic " + base64.b64encode(b"AC123:twilio-secret").decode()
    )
    assert request.body == {
        "To": "+5511987654321",
        "Body": "Olá Ana! OS pronta.",
        "From": "+15005550006",
        "StatusCallback": "https://etapa.example/api/v1/providers/twilio/status?token=cb",
    }
    assert receipt.provider_message_id is not None


async def test_twilio_messaging_service_sender(fake: FakeSmsProvider) -> None:
    provider = create_provider("twilio", settings(fake, NOTIFIER_TWILIO_FROM="MG999"))
    await provider.send(SMS)
    await provider.aclose()
    assert fake.requests[0].body["MessagingServiceSid"] == "MG999"
    assert "From" not in fake.requests[0].body


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (503, TransientSendError),
        (429, TransientSendError),
        (401, TransientSendError),
        (400, PermanentSendError),
        (404, PermanentSendError),
    ],
)
async def test_http_outcomes(fake: FakeSmsProvider, status: int, error: type[Exception]) -> None:
    fake.fail_next(1, status)
    provider = create_provider("zenvia", settings(fake))
    with pytest.raises(error, match=f"HTTP {status}"):
        await provider.send(SMS)
    await provider.aclose()


async def test_timeouts_are_transient(fake: FakeSmsProvider) -> None:
    fake.latency = 1.0
    provider = create_provider("http", settings(fake, NOTIFIER_SEND_TIMEOUT="0.2"))
    with pytest.raises(TransientSendError, match="sem resposta"):
        await provider.send(SMS)
    await provider.aclose()


async def test_a_connection_refused_is_transient_not_ambiguous() -> None:
    """Nothing listens on the port: the SMS cannot have gone out, so it may be sent again."""
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    provider = HttpWebhookProvider(f"http://127.0.0.1:{port}/sms", timeout=2)
    with pytest.raises(TransientSendError, match="falha de conexão") as raised:
        await provider.send(SMS)
    await provider.aclose()
    assert not isinstance(raised.value, AmbiguousSendError)


async def test_a_server_that_hangs_up_after_the_request_is_ambiguous() -> None:
    """The request was read, then the connection closed with no answer: it may have gone out."""
    read: list[bytes] = []

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        read.append(await reader.readuntil(b"\r\n\r\n"))
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    provider = HttpWebhookProvider(f"http://127.0.0.1:{port}/sms", timeout=2)
    try:
        with pytest.raises(AmbiguousSendError, match="sem resposta"):
            await provider.send(SMS)
    finally:
        await provider.aclose()
        server.close()
        await server.wait_closed()
    (request,) = read
    assert request.startswith(b"POST /sms ")


def test_missing_credentials_name_the_variable() -> None:
    with pytest.raises(SettingsError, match="NOTIFIER_ZENVIA_TOKEN"):
        create_provider("zenvia", NotifierSettings.from_env({}))
    with pytest.raises(SettingsError, match="NOTIFIER_SMS_FALLBACK_PROVIDER"):
        NotifierSettings.from_env({"NOTIFIER_SMS_FALLBACK_PROVIDER": "pombo"})


def test_settings_repr_hides_credentials() -> None:
    text = repr(NotifierSettings.from_env({"NOTIFIER_ZENVIA_TOKEN": "zenvia-secret"}))
    assert "zenvia-secret" not in text


async def test_a_request_without_answer_is_asked_again_only_where_a_key_dedupes_it(
    fake: FakeSmsProvider,
) -> None:
    """Zenvia and Twilio take no idempotency key: after a read timeout the SMS may have gone
    out, so it is not sent again (the message is failed for a person to check). Where the
    provider allows a lookup it is asked first; here each request is still in flight (the fake
    records it only when its 2.5 s latency is over), so the lookup does not find it."""
    cases = (("http", True, 2, 2), ("zenvia", False, 1, 0), ("twilio", False, 1, 1))
    for name, again, requests, lookups in cases:
        fake.reset()
        fake.latency = 2.5
        provider = create_provider(name, settings(fake, NOTIFIER_SEND_TIMEOUT="0.2"))
        with pytest.raises(AmbiguousSendError, match="sem resposta"):
            await send_in_round(provider, SMS, tries=2, since=datetime.now(UTC))
        await provider.aclose()
        await asyncio.sleep(2.6)  # the fake records a request once its latency is over
        assert len(fake.requests) == requests, name
        assert len(fake.lookups) == lookups, name
        assert may_send_again(provider, AmbiguousSendError("x")) is again


async def test_a_request_without_answer_is_looked_up_before_it_is_sent_again(
    fake: FakeSmsProvider,
) -> None:
    """The provider took the SMS but its answer never came (held past the deadline): where it
    allows a lookup, the receipt comes from the lookup and nothing is sent again — for the
    webhook (by key) and for Twilio (by number, body and time, where no key protects the
    customer). Zenvia allows no lookup: one request, and the round ends ambiguous."""
    for name, found in (("http", True), ("twilio", True), ("zenvia", False)):
        fake.reset()
        fake.lose_responses({0}, seconds=1.0)
        provider = create_provider(name, settings(fake, NOTIFIER_SEND_TIMEOUT="0.2"))
        if found:
            receipt = await send_in_round(provider, SMS, tries=3, since=datetime.now(UTC))
            assert receipt.provider_message_id == fake.deliveries[next(iter(fake.deliveries))]
            assert len(fake.lookups) == 1, name
        else:
            with pytest.raises(AmbiguousSendError):
                await send_in_round(provider, SMS, tries=3, since=datetime.now(UTC))
            assert fake.lookups == [], name
        await provider.aclose()
        assert len(fake.requests) == 1, name
        assert len(fake.deliveries) == 1, name


async def test_the_twilio_status_callback_carries_the_token_url_encoded(
    fake: FakeSmsProvider,
) -> None:
    provider = create_provider("twilio", settings(fake, NOTIFIER_CALLBACK_TOKEN="ab+c/d=&x"))
    await provider.send(SMS)
    await provider.aclose()
    [request] = fake.requests
    assert request.body["StatusCallback"].endswith("/status?token=ab%2Bc%2Fd%3D%26x")


async def test_http_lookup_asks_the_fake_by_our_key(fake: FakeSmsProvider) -> None:
    provider = create_provider("http", settings(fake))
    query = SentQuery(SMS.idempotency_key, SMS.to, SMS.body, datetime.now(UTC))
    assert await provider.lookup(query) == LookupResult("not_found")
    receipt = await provider.send(SMS)
    assert await provider.lookup(query) == LookupResult("accepted", receipt.provider_message_id)
    fake.fail_lookups(1)
    assert (await provider.lookup(query)).found == "unknown"
    await provider.aclose()
    assert [(r.path, r.body, r.headers["authorization"]) for r in fake.lookups] == [
        ("/sms", {"idempotency_key": "ordem:1"}, "Bearer http-secret")
    ] * 3
    assert len(fake.requests) == 1  # lookups are not sends


async def test_twilio_lookup_lists_the_fakes_messages_to_the_number(fake: FakeSmsProvider) -> None:
    provider = create_provider("twilio", settings(fake))
    query = SentQuery(SMS.idempotency_key, SMS.to, SMS.body, datetime.now(UTC))
    assert await provider.lookup(query) == LookupResult("not_found")
    other = OutgoingSms("ordem:2", SMS.to, "Outra mensagem")
    await provider.send(other)
    assert await provider.lookup(query) == LookupResult("not_found")
    receipt = await provider.send(SMS)
    assert await provider.lookup(query) == LookupResult("accepted", receipt.provider_message_id)
    await provider.aclose()
    (first, *_) = fake.lookups
    assert first.path == "/2010-04-01/Accounts/AC123/Messages.json"
    assert first.body == {"To": "+5511987654321", "From": "+15005550006", "PageSize": "50"}
    assert first.headers["authorization"] == (
        "Basic " + base64.b64encode(b"AC123:twilio-secret").decode()
    )
