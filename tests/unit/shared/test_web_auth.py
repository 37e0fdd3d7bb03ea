"""The app every service builds: open operational paths, a token everywhere else, a rate limit."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import jwt
import pytest
from litestar import get
from litestar.di import NamedDependency
from litestar.testing import AsyncTestClient

from shared.auth import PUBLIC, Principal, Role, TokenIssuer, generate_key_pair, principal_for
from shared.settings import ServiceSettings
from shared.token_validity import VALIDITY_STATE_KEY, TokenValidity
from shared.web import create_service_app

PRIVATE, PUBLIC_KEY = generate_key_pair()


@get("/api/v1/whoami", sync_to_thread=False)
def whoami(principal: NamedDependency[Principal]) -> dict[str, str]:
    return {"chain": str(principal.chain_id), "role": principal.role.value}


@get("/api/v1/callback", opt=PUBLIC, sync_to_thread=False)
def callback() -> dict[str, str]:
    return {"ok": "yes"}


async def _ready() -> None:
    return None


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    settings = ServiceSettings.from_env(
        "test",
        9999,
        {"ETAPA_JWT_PUBLIC_KEY": PUBLIC_KEY, "ETAPA_RATE_LIMIT_PER_MINUTE": "5"},
    )
    app = create_service_app(
        settings=settings,
        route_handlers=[whoami, callback],
        checks={"database": _ready},
        asyncapi=lambda: {"asyncapi": "3.0.0", "channels": {}},
    )
    async with AsyncTestClient(app) as test_client:
        yield test_client


def _headers(role: Role = Role.ATTENDANT, user: uuid.UUID | None = None) -> dict[str, str]:
    token = TokenIssuer(PRIVATE).issue(principal_for(uuid.uuid4(), role, user_id=user))
    return {"Authorization": f"Bearer {token}"}


async def test_operational_paths_need_no_token(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    for path in (
        "/health",
        "/ready",
        "/metrics",
        "/schema/openapi.json",
        "/asyncapi",
        "/api/v1/callback",
    ):
        assert (await client.get(path)).status_code == 200, path
    assert (await client.get("/asyncapi")).json()["asyncapi"] == "3.0.0"


async def test_everything_else_needs_a_valid_bearer_token(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    assert (await client.get("/api/v1/whoami")).status_code == 401
    bad = await client.get("/api/v1/whoami", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert bad.json()["detail"] == "token inválido; entre novamente"
    basic = await client.get("/api/v1/whoami", headers={"Authorization": "Basic dTpw"})
    assert basic.status_code == 401
    good = await client.get("/api/v1/whoami", headers=_headers(Role.VIEWER))
    assert good.status_code == 200
    assert good.json()["role"] == "viewer"


async def test_the_rate_limit_counts_per_user(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    alice, bob = _headers(user=uuid.uuid4()), _headers(user=uuid.uuid4())
    statuses = [(await client.get("/api/v1/whoami", headers=alice)).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    assert (await client.get("/api/v1/whoami", headers=bob)).status_code == 200
    assert (await client.get("/health")).status_code == 200


async def test_the_schema_declares_bearer_tokens(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    schema = (await client.get("/schema/openapi.json")).json()
    assert schema["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"


async def test_a_cached_token_is_refused_once_its_user_changes(
    client: AsyncTestClient,  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decoded: list[str] = []
    real_decode = jwt.decode

    def counting_decode(token: str, *args: object, **kwargs: object) -> object:
        decoded.append(token)
        return real_decode(token, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jwt, "decode", counting_decode)
    user = uuid.uuid4()
    headers = _headers(user=user)
    for _ in range(2):
        assert (await client.get("/api/v1/whoami", headers=headers)).status_code == 200
    assert len(decoded) == 1  # the second request was answered from the verifier's cache
    validity = client.app.state[VALIDITY_STATE_KEY]
    assert isinstance(validity, TokenValidity)
    validity.set(user, datetime.now(UTC))  # deactivated just now
    refused = await client.get("/api/v1/whoami", headers=headers)
    assert refused.status_code == 401
    assert "revogado" in refused.json()["detail"]
    assert len(decoded) == 1  # still cached: revocation is checked on every request
    await asyncio.sleep(0.002)  # tokens carry their issue time in whole milliseconds
    again = _headers(user=user)  # signed in again after the change
    assert (await client.get("/api/v1/whoami", headers=again)).status_code == 200
