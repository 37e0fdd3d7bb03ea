"""Every asyncpg error that means "the database is away" answers 503 with Retry-After."""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from litestar import get
from litestar.testing import AsyncTestClient

from shared.auth import Role, TokenIssuer, generate_key_pair, principal_for
from shared.settings import ServiceSettings
from shared.web import RETRY_AFTER_SECONDS, create_service_app

PRIVATE, PUBLIC_KEY = generate_key_pair()
RAISED: list[BaseException] = []


@get("/api/v1/fails")
async def fails() -> None:
    raise RAISED[0]


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (asyncpg.InternalClientError("protocol lost its connection"), 503),
        (asyncpg.ConnectionDoesNotExistError("connection was closed"), 503),
        (asyncpg.InterfaceError("connection is closed"), 503),
        (asyncpg.CannotConnectNowError("the database system is starting up"), 503),
        (asyncpg.TooManyConnectionsError("too many clients"), 503),
        (ConnectionRefusedError(111, "Connection refused"), 503),
        (RuntimeError("a bug"), 500),
        (asyncpg.QueryCanceledError("statement timeout"), 500),
    ],
)
async def test_a_database_outage_is_a_503_with_retry_after(
    error: BaseException, status: int
) -> None:
    RAISED[:] = [error]
    settings = ServiceSettings.from_env("test", 9999, {"ETAPA_JWT_PUBLIC_KEY": PUBLIC_KEY})
    app = create_service_app(settings=settings, route_handlers=[fails], checks={})
    token = TokenIssuer(PRIVATE).issue(principal_for(uuid.uuid4(), Role.ATTENDANT))
    async with AsyncTestClient(app) as client:
        response = await client.get("/api/v1/fails", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == status
    assert response.headers.get("Retry-After") == (
        str(RETRY_AFTER_SECONDS) if status == 503 else None
    )
