"""The per-user limit of every service (``shared.rate_limit``): Litestar's answers, a count per
window instead of a list of every request's time."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar, get
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.testing import AsyncTestClient

from shared import rate_limit
from shared.auth import Role, TokenIssuer, generate_key_pair, principal_for
from shared.rate_limit import CountingRateLimitMiddleware
from shared.settings import ServiceSettings
from shared.web import create_service_app

PRIVATE, PUBLIC_KEY = generate_key_pair()
LIMIT = 3


SLOW = asyncio.Event()


@get("/api/v1/ping", sync_to_thread=False)
def ping() -> dict[str, str]:
    return {"ok": "sim"}


@get("/api/v1/slow")
async def slow() -> dict[str, str]:
    await SLOW.wait()
    return {"ok": "sim"}


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(rate_limit, "time", clock)
    return clock


def _app() -> Litestar:
    settings = ServiceSettings.from_env(
        "test",
        9999,
        {"ETAPA_JWT_PUBLIC_KEY": PUBLIC_KEY, "ETAPA_RATE_LIMIT_PER_MINUTE": str(LIMIT)},
    )
    return create_service_app(
        settings=settings, route_handlers=[ping, slow], checks={}, asyncapi=None
    )


@pytest.fixture
async def client(clock: Clock) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async with AsyncTestClient(_app()) as test_client:
        yield test_client


def _user() -> dict[str, str]:
    token = TokenIssuer(PRIVATE).issue(principal_for(uuid.uuid4(), Role.ATTENDANT))
    return {"Authorization": f"Bearer {token}"}


async def test_every_answer_says_how_many_requests_are_left(
    client: AsyncTestClient,  # type: ignore[type-arg]
    clock: Clock,
) -> None:
    user = _user()
    answers = [await client.get("/api/v1/ping", headers=user) for _ in range(LIMIT + 1)]
    assert [a.status_code for a in answers] == [200] * LIMIT + [429]
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert {a.headers["RateLimit-Limit"] for a in answers} == {"3"}
    assert answers[0].headers["RateLimit-Policy"] == "3; w=60"
    assert answers[0].headers["RateLimit-Reset"] == "60"
    clock.now += 45
    refused = await client.get("/api/v1/ping", headers=user)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == refused.headers["RateLimit-Reset"] == "15"
    assert refused.json()["status_code"] == 429


async def test_a_new_window_lets_the_user_in_again(
    client: AsyncTestClient,  # type: ignore[type-arg]
    clock: Clock,
) -> None:
    user = _user()
    for _ in range(LIMIT):
        assert (await client.get("/api/v1/ping", headers=user)).status_code == 200
    assert (await client.get("/api/v1/ping", headers=user)).status_code == 429
    clock.now += 60
    again = await client.get("/api/v1/ping", headers=user)
    assert again.status_code == 200
    assert again.headers["RateLimit-Remaining"] == "2"


async def test_refused_requests_do_not_count_and_operational_paths_are_not_limited(
    client: AsyncTestClient,  # type: ignore[type-arg]
    clock: Clock,
) -> None:
    user = _user()
    for _ in range(LIMIT + 5):
        await client.get("/api/v1/ping", headers=user)
    for _ in range(LIMIT + 2):
        assert (await client.get("/health")).status_code == 200
    clock.now += 60
    assert [(await client.get("/api/v1/ping", headers=user)).status_code for _ in range(4)] == [
        200,
        200,
        200,
        429,
    ]


def test_a_window_is_a_count_whatever_the_rate_and_ended_ones_are_dropped(
    clock: Clock,
) -> None:
    """The work per request does not grow with the requests made: one count per user."""

    async def app(scope: object, receive: object, send: object) -> None:
        return None

    windows: dict[str, rate_limit.Window] = {}
    middleware = CountingRateLimitMiddleware(
        app, RateLimitConfig(rate_limit=("minute", 1_000_000)), windows
    )
    for _ in range(50_000):
        middleware._window("user:a", int(clock.now)).count += 1
    assert windows["user:a"].count == 50_000
    for n in range(rate_limit.PRUNE_ABOVE):
        middleware._window(f"user:{n}", int(clock.now))
    clock.now += 61
    middleware._window("user:new", int(clock.now))
    assert list(windows) == ["user:new"]


async def test_a_users_requests_to_every_route_count_together(
    client: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    """Litestar builds the middleware once per route; the count is the app's."""
    user = _user()
    assert (await client.get("/api/v1/ping", headers=user)).status_code == 200
    assert (await client.get("/api/v1/ping", headers=user)).status_code == 200
    SLOW.set()
    other_route = await client.get("/api/v1/slow", headers=user)
    assert other_route.headers["RateLimit-Remaining"] == "0"
    assert (await client.get("/api/v1/slow", headers=user)).status_code == 429


async def test_each_answer_says_what_its_own_request_left(clock: Clock) -> None:
    """A slow request and a quick one of the same user: the slow one's answer says what was left
    after it (2), not after the quick one that came in meanwhile (1)."""
    user = _user()
    SLOW.clear()
    transport = httpx.ASGITransport(app=_app())  # type: ignore[arg-type]  # requests run at once, as on a server
    async with httpx.AsyncClient(transport=transport, base_url="http://etapa") as direct:
        first = asyncio.create_task(direct.get("/api/v1/slow", headers=user))
        await asyncio.sleep(0.1)  # the slow request is counted and waiting in its handler
        quick = await direct.get("/api/v1/ping", headers=user)
        SLOW.set()
        slow_answer = await first
    assert quick.headers["RateLimit-Remaining"] == "1"
    assert slow_answer.headers["RateLimit-Remaining"] == "2"
