"""Every 4xx in pt-BR by default, English when Accept-Language asks, the field named in both
(issue 15, item 13). Before: Litestar's and pydantic's texts were English, handlers' mixed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import get, post
from litestar.params import JSONBody
from litestar.testing import AsyncTestClient
from pydantic import BaseModel, ConfigDict, Field

from shared.auth import PUBLIC, TokenIssuer, generate_key_pair, principal_for
from shared.problem_texts import ENGLISH, PORTUGUESE, language_of, localize
from shared.settings import ServiceSettings
from shared.web import create_service_app

PRIVATE, PUBLIC_KEY = generate_key_pair()
EN = {"Accept-Language": "en-US,en;q=0.9"}


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=2)
    count: int = Field(ge=1)


@post("/api/v1/things", opt=PUBLIC, sync_to_thread=False)
def create_thing(data: JSONBody[Thing]) -> dict[str, str]:
    return {"name": data.name}


@get("/api/v1/mine", sync_to_thread=False)
def mine() -> dict[str, str]:
    return {}


async def _ready() -> None:
    return None


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    settings = ServiceSettings.from_env(
        "test", 9999, {"ETAPA_JWT_PUBLIC_KEY": PUBLIC_KEY, "ETAPA_RATE_LIMIT_PER_MINUTE": "8"}
    )
    app = create_service_app(
        settings=settings,
        route_handlers=[create_thing, mine],
        checks={"database": _ready},
        request_max_body_size=2_000,
    )
    async with AsyncTestClient(app) as test_client:
        yield test_client


def test_the_language_follows_accept_language_and_defaults_to_portuguese() -> None:
    assert language_of(None) == PORTUGUESE
    assert language_of("fr-FR") == PORTUGUESE
    assert language_of("en") == ENGLISH
    assert language_of("en-US,en;q=0.9,pt-BR;q=0.8") == ENGLISH
    assert language_of("pt-BR,pt;q=0.9,en;q=0.8") == PORTUGUESE
    assert language_of("en;q=0.5, pt") == PORTUGUESE


def test_texts_keep_their_field_and_translate_the_problem() -> None:
    assert localize("order 12 not found", PORTUGUESE) == "ordem de serviço 12 não encontrado(a)"
    assert localize("branch_id: branch 7 does not exist", PORTUGUESE) == (
        "branch_id: a filial 7 não existe"
    )
    assert localize("e-mail ou senha incorretos", ENGLISH) == "wrong e-mail or password"
    assert localize("e-mail ou senha incorretos", PORTUGUESE) == "e-mail ou senha incorretos"
    assert localize("Expected `int`, got `str`", PORTUGUESE) == "deve ser um número inteiro"
    assert localize("reason: required to back an order", PORTUGUESE) == (
        "reason: obrigatório para voltar a OS a uma etapa anterior"
    )
    assert localize("reason: required to back an order", ENGLISH) == (
        "reason: required to back an order"
    )
    assert localize("a: not JSON; b: Field required", PORTUGUESE) == (
        "a: não é JSON; b: campo obrigatório"
    )
    # two that reached clients in English until 5 December (seen by fuzzing the demo)
    assert localize("to: 3178-04-11 is outside 2000-01-01 … 2100-12-31", PORTUGUESE) == (
        "to: 3178-04-11 está fora de 2000-01-01 … 2100-12-31"
    )
    assert localize(
        "opens_at: Input should be in a valid time format, invalid character in hour", PORTUGUESE
    ) == ("opens_at: deve ser um horário (HH:MM)")


async def test_validation_names_each_field_in_portuguese_by_default(
    client: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    response = await client.post("/api/v1/things", json={"name": "x", "count": 0, "z": 1})
    assert response.status_code == 400
    assert response.headers["content-language"] == "pt-BR"
    body: dict[str, Any] = response.json()
    assert body["detail"].startswith("Dados inválidos em POST /api/v1/things — ")
    assert "name: deve ter pelo menos 2 caractere(s)" in body["detail"]
    assert {item["key"]: item["message"] for item in body["extra"]} == {
        "name": "deve ter pelo menos 2 caractere(s)",
        "count": "deve ser maior ou igual a 1",
        "z": "campo desconhecido",
    }


async def test_validation_in_english_when_asked(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    response = await client.post("/api/v1/things", json={"count": "x"}, headers=EN)
    assert response.status_code == 400
    assert response.headers["content-language"] == "en"
    body = response.json()
    assert body["detail"].startswith("Validation failed for POST /api/v1/things — ")
    assert "name: Field required" in body["detail"]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "portuguese"),
    [
        ("get", "/api/v1/nowhere", {}, 404, "Não encontrado"),
        ("get", "/api/v1/things", {}, 405, "Método não permitido neste endereço"),
        ("post", "/api/v1/things", {"content": b"x" * 3_000}, 413, "grande demais"),
        ("post", "/api/v1/things", {"content": b"{bad"}, 400, "JSON malformado"),
        ("post", "/api/v1/things", {"content": b"[" * 40 + b"]" * 40}, 400, "níveis"),
        ("get", "/health/x", {}, 404, "Não encontrado"),
    ],
)
async def test_litestars_own_refusals_are_portuguese_and_english_on_request(
    client: AsyncTestClient,  # type: ignore[type-arg]
    method: str,
    path: str,
    kwargs: dict[str, Any],
    status: int,
    portuguese: str,
) -> None:
    response = await getattr(client, method)(path, **kwargs)
    assert response.status_code == status
    assert portuguese in response.json()["detail"]
    english = await getattr(client, method)(path, headers=EN, **kwargs)
    assert english.status_code == status
    assert portuguese not in english.json()["detail"]
    assert english.headers["content-language"] == "en"
    if status == 405:
        assert response.headers["allow"] == "POST"  # the documented methods only
        options = await client.options(path)
        assert options.headers["allow"] == "POST"


async def test_401_and_429_are_portuguese(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    token = TokenIssuer(PRIVATE).issue(principal_for(uuid.uuid4()))
    refused = await client.get("/api/v1/mine", headers={"Authorization": f"Bearer {token}x"})
    assert refused.status_code == 401
    assert refused.json()["detail"] == "token inválido; entre novamente"
    english = await client.get("/api/v1/mine", headers=EN)
    assert english.json()["detail"] == "missing bearer token (Authorization: Bearer <token>)"
    statuses = [(await client.post("/api/v1/things", json={})).status_code for _ in range(10)]
    assert 429 in statuses
    limited = await client.post("/api/v1/things", json={})
    assert limited.status_code == 429
    assert limited.json()["detail"] == "Muitas requisições; tente de novo em instantes"
    assert limited.headers["retry-after"]


async def test_options_names_every_documented_method_of_the_path() -> None:
    @get("/api/v1/pair", sync_to_thread=False)
    def read_pair() -> dict[str, str]:
        return {}

    @post("/api/v1/pair", sync_to_thread=False)
    def write_pair() -> dict[str, str]:
        return {}

    async def ready() -> None:
        return None

    settings = ServiceSettings.from_env("test", 9999, {"ETAPA_JWT_PUBLIC_KEY": PUBLIC_KEY})
    app = create_service_app(
        settings=settings, route_handlers=[read_pair, write_pair], checks={"database": ready}
    )
    async with AsyncTestClient(app) as test_client:
        options = await test_client.options("/api/v1/pair")
        assert options.headers["allow"] == "GET, POST"
        refused = await test_client.delete("/api/v1/pair")
        assert refused.status_code == 405
        assert refused.headers["allow"] == "GET, POST"
