"""A query parameter an API address does not take is a 400 naming it, not a filter ignored
(``?outcome=rejected`` used to answer every lab update)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar import get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.testing import AsyncTestClient

from shared.auth import PUBLIC, generate_key_pair
from shared.query_parameters import ANY_QUERY, unknown_parameters
from shared.settings import ServiceSettings
from shared.web import create_service_app

_, PUBLIC_KEY = generate_key_pair()


async def page_size(limit: FromQuery[int] = 50) -> int:
    return limit


@get("/api/v1/updates", opt=PUBLIC, dependencies={"size": Provide(page_size)})
async def updates(
    size: NamedDependency[int], status: FromQuery[str | None] = None
) -> dict[str, object]:
    return {"status": status, "limit": size}


@get("/api/v1/updates/{update_id:int}", opt=PUBLIC)
async def one_update(update_id: FromPath[int]) -> dict[str, int]:
    return {"id": update_id}


@get("/api/v1/callback", opt={**PUBLIC, ANY_QUERY: True})
async def callback() -> dict[str, bool]:
    return {"ok": True}


@get("/api/v1/private")
async def private(status: FromQuery[str | None] = None) -> dict[str, str | None]:
    return {"status": status}


@get("/outside", opt=PUBLIC)
async def outside() -> dict[str, bool]:
    return {"ok": True}


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    settings = ServiceSettings.from_env("test", 9999, {"ETAPA_JWT_PUBLIC_KEY": PUBLIC_KEY})
    app = create_service_app(
        settings=settings,
        route_handlers=[updates, one_update, callback, private, outside],
        checks={},
    )
    async with AsyncTestClient(app) as test_client:
        yield test_client


async def test_a_misspelt_filter_is_a_400_naming_it_and_the_accepted_ones(
    client: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    response = await client.get("/api/v1/updates?outcome=rejected")
    assert response.status_code == 400
    body = response.json()
    assert body["extra"] == [
        {
            "key": "outcome",
            "message": "parâmetro desconhecido; aceitos: limit, status",
            "source": "query",
        }
    ]
    assert body["detail"] == (
        "Dados inválidos em GET /api/v1/updates"
        " — outcome: parâmetro desconhecido; aceitos: limit, status"
    )


async def test_in_english_when_asked(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    response = await client.get(
        "/api/v1/updates?outcome=x&sort=y&outcome=z", headers={"Accept-Language": "en"}
    )
    assert response.status_code == 400
    assert [item["key"] for item in response.json()["extra"]] == ["outcome", "sort"]
    assert response.json()["extra"][0]["message"] == (
        "unknown query parameter; accepted: limit, status"
    )


async def test_the_documented_parameters_their_dependencies_and_repeats_still_work(
    client: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    response = await client.get("/api/v1/updates?status=rejected&limit=5")
    assert response.status_code == 200
    assert response.json() == {"status": "rejected", "limit": 5}
    assert (await client.get("/api/v1/updates?status=")).status_code == 200


async def test_an_address_that_takes_no_query_says_so(
    client: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    response = await client.get("/api/v1/updates/7?status=x")
    assert response.status_code == 400
    assert response.json()["extra"][0]["message"] == (
        "parâmetro desconhecido; este endereço não aceita parâmetros"
    )
    assert (await client.get("/api/v1/updates/7")).json() == {"id": 7}


async def test_a_handler_that_reads_its_own_query_and_pages_outside_the_api_are_not_checked(
    client: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    assert (await client.get("/api/v1/callback?token=abc&x=1")).status_code == 200
    assert (await client.get("/outside?anything=1")).status_code == 200
    assert (await client.get("/health?probe=1")).status_code == 200


def test_unknown_parameters_keeps_the_first_of_each_name() -> None:
    taken = frozenset({"a"})
    assert unknown_parameters(b"a=1&b=2&c=&b=3", taken) == ["b", "c"]
    assert unknown_parameters(b"a=1&a=2", taken) == []


async def test_without_a_token_the_answer_is_401_whatever_the_query(
    client: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    response = await client.get("/api/v1/private?outcome=rejected")
    assert response.status_code == 401
    assert "outcome" not in response.text
