"""What every service's app refuses before it can hurt: bodies nested too deep (issue 15,
item 6) and database error text sent to clients (item 8)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from litestar import Request, post
from litestar.params import JSONBody
from litestar.testing import AsyncTestClient

from shared.auth import PUBLIC, generate_key_pair
from shared.settings import ServiceSettings
from shared.web import MAX_JSON_DEPTH, create_service_app, json_depth_exceeds

_, PUBLIC_KEY = generate_key_pair()
SECRET_DETAIL = 'value "99999999999" is out of range for type integer in column orders_secret'


@post("/api/v1/echo", opt=PUBLIC)
async def echo(data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
    return data


@post("/api/v1/private")
async def private(data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
    return data


@post("/api/v1/store", opt=PUBLIC)
async def store(data: JSONBody[dict[str, Any]]) -> None:
    raise asyncpg.DataError(SECRET_DETAIL)


@post("/api/v1/raw", opt=PUBLIC)
async def raw(request: Request[Any, Any, Any]) -> dict[str, int]:
    return {"size": len(await request.body())}


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    settings = ServiceSettings.from_env("test", 9999, {"ETAPA_JWT_PUBLIC_KEY": PUBLIC_KEY})
    app = create_service_app(
        settings=settings,
        route_handlers=[echo, private, store, raw],
        checks={},
        raw_body_paths=["/api/v1/raw"],
    )
    async with AsyncTestClient(app) as test_client:
        yield test_client


def nested(levels: int) -> str:
    return '{"a": ' + "[" * levels + "]" * levels + "}"


@pytest.mark.parametrize("path", ["/api/v1/echo", "/api/v1/private"])
@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
async def test_a_thousand_levels_of_json_is_a_400_with_or_without_a_token(
    client: AsyncTestClient,  # type: ignore[type-arg]
    path: str,
    content_type: str,
) -> None:
    response = await client.post(path, content=nested(1000), headers={"content-type": content_type})
    assert response.status_code == 400
    assert "níveis" in response.json()["detail"]


async def test_json_within_the_depth_limit_is_read_as_before(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    body = nested(MAX_JSON_DEPTH - 1)
    response = await client.post(
        "/api/v1/echo", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 201
    # brackets inside strings are text, not nesting
    text = {"note": "[" * 5000 + "{" * 5000}
    assert (await client.post("/api/v1/echo", json=text)).json() == text


def test_the_depth_scan_counts_only_structure() -> None:
    assert not json_depth_exceeds(b'{"a": "[[[[\\"[[[["}', limit=1)
    assert json_depth_exceeds(b"[[[]]]", limit=2)
    assert not json_depth_exceeds(b"[[]][[]]", limit=2)


async def test_database_error_text_is_logged_not_sent(
    client: AsyncTestClient,  # type: ignore[type-arg]
    capsys: pytest.CaptureFixture[str],
) -> None:
    response = await client.post("/api/v1/store", json={"n": 1})
    assert response.status_code == 400
    assert response.json()["detail"] == "um valor da requisição não pode ser gravado"
    assert "orders_secret" not in response.text
    assert "orders_secret" in capsys.readouterr().out


async def test_an_endpoint_that_reads_its_own_body_gets_it_however_deep(
    client: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    """A lab's message is kept (rejected with the reason) whatever it holds."""
    body = nested(1000)
    response = await client.post(
        "/api/v1/raw", content=body, headers={"content-type": "application/json"}
    )
    assert response.json() == {"size": len(body)}
