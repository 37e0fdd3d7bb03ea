"""Sign-in abuse over real HTTP (issue 15, item 2): X-Forwarded-For is not trusted unless the
peer is a configured proxy, failed sign-ins lock the account and the address out with 429 and
Retry-After, refusals are logged masked, and password checks at once are bounded.

Each test runs its own intake (its own lockout counts), served as ``serve`` serves it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn

import intake.bootstrap
from intake.config import IntakeSettings
from shared.logging import configure_logging
from shared.service_main import server_options
from tests.broker_cleanup import delete_topology
from tests.infra import OPERATOR_KEY, Infra
from tests.integration.harness import free_port, wait_until_ready

pytestmark = pytest.mark.integration
PASSWORD = "uma-senha-longa-1"


@asynccontextmanager
async def running_intake(infra: Infra, **extra: str) -> AsyncIterator[str]:
    port = free_port()
    suffix = f"si{uuid.uuid4().hex[:6]}"
    env = infra.service_env(suffix, INTAKE_PORT=str(port), **extra)
    settings = IntakeSettings.from_env(env)
    app = intake.bootstrap.create_app(settings)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, **server_options(settings.service)
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            await wait_until_ready(http, url)
        yield url
    finally:
        server.should_exit = True
        await task
        await delete_topology(infra, {suffix})


async def new_admin(http: httpx.AsyncClient, url: str) -> str:
    email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
    created = await http.post(
        f"{url}/api/v1/chains",
        headers={"X-Operator-Key": OPERATOR_KEY},
        json={
            "name": f"Rede {uuid.uuid4().hex[:8]}",
            "admin": {"email": email, "name": "Ana", "password": PASSWORD},
        },
    )
    assert created.status_code == 201, created.text
    return email


def sign_in(http: httpx.AsyncClient, url: str) -> Callable[..., asyncio.Future[httpx.Response]]:
    def attempt(
        email: str, password: str, forwarded: str | None = None
    ) -> asyncio.Future[httpx.Response]:
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        return asyncio.ensure_future(
            http.post(
                f"{url}/api/v1/auth/token",
                json={"email": email, "password": password},
                headers=headers,
            )
        )

    return attempt


async def test_an_account_is_locked_out_after_repeated_failures_even_with_the_right_password(
    infra: Infra, capsys: pytest.CaptureFixture[str]
) -> None:
    # as ``serve`` does; here also so that the lines reach this test's captured stdout (a
    # handler set up by an earlier test writes to that test's capture)
    configure_logging("intake")
    async with running_intake(infra) as url, httpx.AsyncClient(timeout=30) as http:
        email = await new_admin(http, url)
        attempt = sign_in(http, url)
        statuses = [(await attempt(email, f"errada-{n}")).status_code for n in range(5)]
        assert statuses == [401] * 5
        locked = await attempt(email, PASSWORD)
        assert locked.status_code == 429
        assert int(locked.headers["Retry-After"]) == 30
        assert "tente de novo em 30 s" in locked.json()["detail"]
        # another account from the same address signs in
        other = await new_admin(http, url)
        assert (await attempt(other, PASSWORD)).status_code == 200
    log = capsys.readouterr().out
    assert "sign_in_refused" in log
    assert f"{email[0]}***@example.com" in log
    assert email not in log
    assert "127.0.0.1" in log


async def test_rotating_x_forwarded_for_does_not_escape_the_address_limit(
    infra: Infra,
) -> None:
    async with running_intake(infra) as url, httpx.AsyncClient(timeout=30) as http:
        email = await new_admin(http, url)
        attempt = sign_in(http, url)
        statuses = []
        for n in range(21):  # 21 accounts, 21 "addresses": one TCP peer
            response = await attempt(f"ninguem-{n}@example.com", "x", forwarded=f"198.51.100.{n}")
            statuses.append(response.status_code)
        assert statuses[:20] == [401] * 20
        assert statuses[20] == 429
        refused = await attempt(email, PASSWORD, forwarded="198.51.100.200")
        assert refused.status_code == 429
        assert "Retry-After" in refused.headers


async def test_a_trusted_proxy_names_the_client_address(infra: Infra) -> None:
    """The console, listed in ETAPA_TRUSTED_PROXIES, forwards each person's address: one
    person's failures do not lock the others out."""
    async with (
        running_intake(infra, ETAPA_TRUSTED_PROXIES="127.0.0.1") as url,
        httpx.AsyncClient(timeout=30) as http,
    ):
        email = await new_admin(http, url)
        attempt = sign_in(http, url)
        for n in range(20):
            await attempt(f"ninguem-{n}@example.com", "x", forwarded="198.51.100.1")
        assert (await attempt(email, PASSWORD, forwarded="198.51.100.1")).status_code == 429
        assert (await attempt(email, PASSWORD, forwarded="198.51.100.2")).status_code == 200


async def test_a_sign_in_flood_is_refused_beyond_the_checks_that_may_wait(infra: Infra) -> None:
    async with (
        running_intake(infra, INTAKE_SIGN_IN_ADDRESS_FAILURES="1000") as url,
        httpx.AsyncClient(timeout=60) as http,
    ):
        attempt = sign_in(http, url)
        flood = await asyncio.gather(*(attempt(f"p{n}@example.com", "x") for n in range(40)))
        statuses = sorted(r.status_code for r in flood)
        busy = [r for r in flood if r.status_code == 429]
        # 2 checks at once and 16 waiting: the rest are refused at once, saying when to retry
        # (a few more get a turn as the first ones finish while the flood arrives)
        assert len(busy) >= 10, statuses
        assert all(r.headers["Retry-After"] == "1" for r in busy)
        assert set(statuses) == {401, 429}
