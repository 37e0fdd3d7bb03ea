"""Every 4xx in pt-BR by default, English when Accept-Language asks, the field named in both
(issue 15, item 13). Before: Litestar's and pydantic's texts were English, handlers' mixed."""

from __future__ import annotations

import re
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
    assert localize("order 12 not found", PORTUGUESE) == "ordem de serviço 12 não encontrada"
    assert localize("user 7 not found", PORTUGUESE) == "usuário 7 não encontrado"
    assert localize("lab message 3 not found", PORTUGUESE) == (
        "mensagem de laboratório 3 não encontrada"
    )
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
    # Litestar's text names the path after the parameter: not repeated, half in English
    # (until 7 December: "falta o parâmetro 'x' for path /api/v1/…")
    assert localize(
        "Missing required query parameter 'service_type' for path /api/v1/orders/board",
        PORTUGUESE,
    ) == ("falta o parâmetro 'service_type'")
    assert localize("Missing required header parameter 'x-lab-key'", PORTUGUESE) == (
        "falta o parâmetro 'x-lab-key'"
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


_CODE_RULE = "use 1–64 lower-case letters, digits or hyphens, starting with a letter or digit"
_CODE_RULE_PT = "use de 1 a 64 letras minúsculas, números ou hífens, começando por letra ou número"
_STATUSES = "received, in_production, surfacing, coating, edging, assembly, quality_check, shipped"

WORKFLOW_FLOW_AND_CALENDAR_TEXTS = [
    # usecases/flow_rules.py
    (f"code: 'Óculos' is not a valid code; {_CODE_RULE}",
     f"code: 'Óculos' não é um código válido; {_CODE_RULE_PT}"),
    (f"stages[0].key: 'Com Espaço' is not a valid key; {_CODE_RULE}",
     f"stages[0].key: 'Com Espaço' não é um identificador de etapa válido; {_CODE_RULE_PT}"),
    ("name: must not be blank", "name: não pode ficar em branco"),
    ("name: at most 200 characters", "name: no máximo 200 caracteres"),
    ("stages[0].description: at most 500 characters",
     "stages[0].description: no máximo 500 caracteres"),
    ("stages[0].description: must not contain control characters",
     "stages[0].description: não pode ter caracteres de controle"),
    ("stages: a flow needs at least one stage", "stages: o fluxo precisa de pelo menos uma etapa"),
    ("stages: at most 50 stages", "stages: no máximo 50 etapas"),
    ("stages[2].key: duplicate stage key 'recebido' (also stages[0])",
     "stages[2].key: identificador de etapa 'recebido' repetido (também em stages[0])"),
    ("stages[2].planned_days: must be ≥ 0", "stages[2].planned_days: deve ser 0 ou mais"),
    ("stages[1].planned_days: must be ≤ 365", "stages[1].planned_days: deve ser no máximo 365"),
    ("stages[0].responsible_role: 'Gerente Geral' is not a role identifier "
     "(lower-case letters, digits, underscores)",
     "stages[0].responsible_role: 'Gerente Geral' não é um identificador de papel "
     "(letras minúsculas, números e sublinhado)"),
    (f"stages[1].lab_statuses[1]: unknown lab status 'teleported'; known: {_STATUSES}",
     f"stages[1].lab_statuses[1]: status do laboratório desconhecido: 'teleported'; "
     f"conhecidos: {_STATUSES}"),
    ("stages[0].lab_statuses[0]: lab status 'remake' never moves an order (it goes on the "
     "timeline and the order stays where it is); map it to no stage",
     "stages[0].lab_statuses[0]: o status do laboratório 'remake' nunca move a OS (vai para a "
     "linha do tempo e a OS fica onde está); não o associe a nenhuma etapa"),
    ("stages[2].lab_statuses[0]: lab status 'in_production' is already used by stages[1]",
     "stages[2].lab_statuses[0]: o status do laboratório 'in_production' já é usado por "
     "stages[1]"),
    ("stages: at least one stage must be visible_to_customer (the customer's page shows them)",
     "stages: pelo menos uma etapa deve ser visível ao cliente (visible_to_customer), pois a "
     "página do cliente mostra as etapas"),
    # usecases/save_flow_version.py (409)
    ("service type 'troca' exists; change it with PUT",
     "o tipo de serviço 'troca' já existe; altere-o com PUT"),
    # domain/calendar_settings.py, and GET /api/v1/branches/{id}/calendar's from and to
    ("working_weekdays: [7, 9] not a weekday: 0 = Monday … 6 = Sunday",
     "working_weekdays: dia da semana inválido em [7, 9] (use 0 = segunda-feira … 6 = domingo)"),
    ("closing_by_weekday.9: not a weekday: 0 = Monday … 6 = Sunday",
     "closing_by_weekday.9: dia da semana inválido (use 0 = segunda-feira … 6 = domingo)"),
    ("working_weekdays: the branch must work at least one day",
     "working_weekdays: a filial precisa funcionar pelo menos um dia da semana"),
    ("opens_at: a local wall-clock time in hours and minutes (HH:MM), no time zone",
     "opens_at: um horário local em horas e minutos (HH:MM), sem fuso horário"),
    ("closes_at: must be after opens_at (09:00)",
     "closes_at: deve ser depois da abertura (opens_at, 09:00)"),
    ("closing_by_weekday.5: sábado must close after opens_at (09:00)",
     "closing_by_weekday.5: sábado deve fechar depois da abertura (opens_at, 09:00)"),
    ("closures[0].date: must be from 2000 to 2100",
     "closures[0].date: o ano deve ser de 2000 a 2100"),
    ("from: must be from 2000 to 2100", "from: o ano deve ser de 2000 a 2100"),
    ("closures[0].description: must not be blank",
     "closures[0].description: não pode ficar em branco"),
    ("municipal_holidays[1].date: 15/08/2027 repeats municipal_holidays[0]",
     "municipal_holidays[1].date: 15/08/2027 já está em municipal_holidays[0]"),
]  # fmt: skip
"""Every refusal of workflow's rules for flows and calendars, and its Portuguese (English over
the API until 5 December; the console translated them for its forms)."""


@pytest.mark.parametrize(("english", "portuguese"), WORKFLOW_FLOW_AND_CALENDAR_TEXTS)
def test_workflows_flow_and_calendar_refusals_are_portuguese_by_default(
    english: str, portuguese: str
) -> None:
    assert localize(english, PORTUGUESE) == portuguese
    assert localize(english, ENGLISH) == english


def test_a_flow_refusal_with_several_problems_is_translated_part_by_part() -> None:
    detail = "; ".join(english for english, _ in WORKFLOW_FLOW_AND_CALENDAR_TEXTS)
    assert localize(detail, PORTUGUESE) == "; ".join(
        portuguese for _, portuguese in WORKFLOW_FLOW_AND_CALENDAR_TEXTS
    )
    assert localize(detail, ENGLISH) == detail


def test_a_flow_refusals_fields_are_translated_in_its_extra_too() -> None:
    from shared.problem_texts import localized_body

    extra = [
        {"field": "name", "problem": "must not be blank"},
        {"field": "stages", "problem": "a flow needs at least one stage"},
    ]
    detail = "name: must not be blank; stages: a flow needs at least one stage"
    assert localized_body(400, detail, extra, PORTUGUESE) == {
        "status_code": 400,
        "detail": "name: não pode ficar em branco; stages: o fluxo precisa de pelo menos uma etapa",
        "extra": [
            {"field": "name", "problem": "não pode ficar em branco"},
            {"field": "stages", "problem": "o fluxo precisa de pelo menos uma etapa"},
        ],
    }
    assert localized_body(400, detail, extra, ENGLISH) == {
        "status_code": 400,
        "detail": detail,
        "extra": extra,
    }


def test_no_refusal_of_workflows_flow_or_calendar_rules_is_left_in_english() -> None:
    """The rules themselves, given input that breaks each of them: a new English text that
    the table does not know fails here."""
    from dataclasses import replace
    from datetime import UTC, date, time

    from workflow.domain.calendar import DayCounting
    from workflow.domain.calendar_settings import CalendarSettings, DatedDay, settings_problems
    from workflow.domain.flow import Stage
    from workflow.usecases.flow_rules import MAX_STAGES, flow_problems

    def stage(key: str, **changes: Any) -> Stage:
        return replace(Stage(key, key.title(), 1, DayCounting.BUSINESS), **changes)

    bad_stages = (
        stage("Com Espaço", name=" ", planned_days=-1, description="x" * 501),
        stage("a", name="x" * 201, planned_days=400, responsible_role="Gerente Geral"),
        stage("a", name="A\x00", lab_statuses=("teleported", "remake", "received")),
        stage("b", customer_name=" ", description="\x07", lab_statuses=("received",)),
    )
    hidden = tuple(replace(one, visible_to_customer=False) for one in bad_stages)
    problems = [
        *flow_problems("Óculos", " ", bad_stages),
        *flow_problems("oculos", "Óculos", ()),
        *flow_problems("oculos", "Óculos", tuple(stage(f"e{i}") for i in range(MAX_STAGES + 1))),
        *flow_problems("oculos", "Óculos", hidden),
    ]
    days = (
        DatedDay(date(1999, 1, 4), " "),
        DatedDay(date(2026, 3, 2), "x" * 201),
        DatedDay(date(2026, 3, 2), "Re\x00forma"),
    )
    for settings in (
        CalendarSettings(working_weekdays=frozenset({7})),
        CalendarSettings(working_weekdays=frozenset()),
        CalendarSettings(opens_at=time(9, tzinfo=UTC)),
        CalendarSettings(
            opens_at=time(18),
            closes_at=time(9),
            closing_by_weekday={5: time(8), 9: time(20)},
            municipal_holidays=days,
            closures=days,
        ),
    ):
        problems.extend(settings_problems(settings))
    assert len(problems) >= 30, problems  # the input above breaks every rule
    for problem in problems:
        english = str(problem)
        portuguese = localize(english, PORTUGUESE)
        assert portuguese.startswith(f"{problem.field}: "), english
        assert localize(problem.problem, PORTUGUESE) != problem.problem, english
        assert localize(english, ENGLISH) == english


_ISO_EXAMPLE = "(e.g. 2026-02-13T10:00-03:00)"

QUOTE_AND_INTAKE_TEXTS = [
    # workflow's quote, entrypoints/http/quote.py (the value is the caller's, "; " and all)
    (f"start: 'amanhã' is not an ISO date-time {_ISO_EXAMPLE}",
     "start: 'amanhã' não é uma data e hora válida (ISO 8601, ex.: 2026-02-13T10:00-03:00)"),
    (f"start: 'a; b (c)' is not an ISO date-time {_ISO_EXAMPLE}",
     "start: 'a; b (c)' não é uma data e hora válida (ISO 8601, ex.: 2026-02-13T10:00-03:00)"),
    ("start: must be from a year ago to two years from now",
     "start: deve estar entre um ano atrás e dois anos à frente"),
    # msgspec's checks of query parameters (the quote's service_type and start, and others')
    ("service_type: Expected `str` matching regex '^[a-z0-9][a-z0-9-]{0,63}$'",
     "service_type: deve seguir o padrão '^[a-z0-9][a-z0-9-]{0,63}$'"),
    ("start: Expected `str` of length <= 40", "start: deve ter no máximo 40 caractere(s)"),
    ("code: Expected `str | null` of length >= 2", "code: deve ter pelo menos 2 caractere(s)"),
    ("ids: Expected `array` of length <= 50", "ids: deve ter no máximo 50 item(ns)"),
    ("branch: Invalid UUID", "branch: deve ser um UUID válido"),
    ("from: Invalid RFC3339 encoded date", "from: deve ser uma data (AAAA-MM-DD)"),
    ("since: Invalid RFC3339 encoded datetime", "since: deve ser data e hora (ISO 8601)"),
    # intake's checks of an order's references, domain/service_types.py, usecases/open_order.py
    ("service_type: unknown service type 'qualquer' in this chain (known: teste, troca)",
     "service_type: tipo de serviço 'qualquer' desconhecido nesta rede (ativos: teste, troca)"),
    ("service_type: unknown service type 'qualquer' in this chain (known: none active)",
     "service_type: tipo de serviço 'qualquer' desconhecido nesta rede (nenhum está ativo)"),
    ("service_type: service type 'antigo' is no longer active in this chain",
     "service_type: o tipo de serviço 'antigo' foi desativado nesta rede"),
    ("lab_code: no lab 'LABX' in this chain", "lab_code: nenhum laboratório 'LABX' nesta rede"),
    # pydantic's, met in intake's order body (branch_id: 123, promised_date: "2026-02-13T10:30")
    ("branch_id: UUID input should be a string, bytes or UUID object",
     "branch_id: deve ser um UUID válido"),
    ("promised_date: Datetimes provided to dates should have zero time - e.g. be exact dates",
     "promised_date: deve ser uma data (AAAA-MM-DD), sem horário"),
    ("occurred_at: Input should have timezone info",  # a lab's message, kept as its reason
     "occurred_at: deve ter o fuso horário (ex.: 2026-02-13T10:00-03:00)"),
    # intake's bodies: shared/text.py's NUL check, entrypoints/http/schemas.py's validators
    ("customer.name: must not contain the NUL character (\\u0000)",
     "customer.name: não pode conter o caractere NUL (\\u0000)"),
    ("Value error, body: must not contain the NUL character (\\u0000)",
     "body: não pode conter o caractere NUL (\\u0000)"),
    ("Value error, starts_at, ends_at: local wall-clock times, without a time zone",
     "starts_at, ends_at: horários locais, sem fuso horário"),
    ("Value error, starts_at must be before ends_at (a window within one day)",
     "starts_at deve ser antes de ends_at (uma janela dentro do mesmo dia)"),
    ("Value error, 'XX' is not a Brazilian state (UF)", "'XX' não é uma UF do Brasil"),
    ("Value error, 'Marte/Base' is not an IANA time zone, e.g. America/Sao_Paulo",
     "'Marte/Base' não é um fuso horário IANA, ex.: America/Sao_Paulo"),
    # intake's branches, usecases/manage_directory.py and domain/directory.py
    ("chain 5f0c4a52-0000-4000-8000-000000000001 does not exist",
     "a rede 5f0c4a52-0000-4000-8000-000000000001 não existe"),
    ("branch 5f0c4a52-0000-4000-8000-000000000002 belongs to another chain",
     "a filial 5f0c4a52-0000-4000-8000-000000000002 pertence a outra rede"),
    ("code: branch SP01 already has orders numbered SP01-…; its code stays",
     "code: a filial SP01 já tem OS numeradas SP01-…; o código dela não pode mudar"),
    ("code: SP02 numbered orders of another branch; choose another code",
     "code: SP02 já numerou OS de outra filial; escolha outro código"),
    # intake's replay of a lab's message, usecases/receive_lab_update.py (409)
    ("only rejected messages can be replayed; this one is accepted",
     "só mensagens recusadas podem ser reprocessadas; esta já foi aceita"),
    ("only rejected messages can be replayed; this one is replayed",
     "só mensagens recusadas podem ser reprocessadas; esta já foi reprocessada e aplicada"),
    ("only rejected messages can be replayed; this one is stale",
     "só mensagens recusadas podem ser reprocessadas; esta foi ignorada por ser mais antiga que "
     "a última situação aplicada"),
]  # fmt: skip
"""Refusals that reached every reader in English until 5 December: workflow's quote, intake's
order references (README's known limit), and the rest of intake's found by grepping it."""


@pytest.mark.parametrize(("english", "portuguese"), QUOTE_AND_INTAKE_TEXTS)
def test_quote_and_intake_refusals_are_portuguese_by_default(english: str, portuguese: str) -> None:
    assert localize(english, PORTUGUESE) == portuguese
    assert localize(english, ENGLISH) == english


def test_no_refusal_of_intakes_order_and_branch_checks_is_left_in_english() -> None:
    """The checks themselves, given input that breaks each of them: a new English text that the
    table does not know fails here."""
    from pydantic import ValidationError

    from intake.domain.directory import DirectoryConflict, check_code_change
    from intake.domain.lab_message import Unreadable, read
    from intake.domain.service_types import UnknownServiceType, check_service_type
    from intake.entrypoints.http.schemas import BranchIn, OrderIn, SendingWindowIn

    texts: list[str] = []
    for known in ({"teste": True}, {"antigo": False}, {"antigo": False, "x": False}):
        with pytest.raises(UnknownServiceType) as unknown:
            check_service_type(known, "antigo" if "x" in known else "qualquer")
        texts.append(f"service_type: {unknown.value}")
    for current, has_orders, taken in (("SP01", True, False), (None, False, True)):
        with pytest.raises(DirectoryConflict) as conflict:
            check_code_change(
                current, "SP02", branch_has_orders=has_orders, code_numbered_orders=taken
            )
        texts.append(str(conflict.value))
    branch = {"code": "SP01", "name": "Loja", "state": "SP", "city": "São Paulo"}
    bodies: list[tuple[type[BaseModel], dict[str, Any]]] = [
        (SendingWindowIn, {"starts_at": "20:00", "ends_at": "08:00"}),
        (SendingWindowIn, {"starts_at": "08:00-03:00"}),
        (BranchIn, branch | {"state": "XX"}),
        (BranchIn, branch | {"timezone": "Marte/Base"}),
        (OrderIn, {"notes": "a\x00b"}),
    ]
    for model, body in bodies:
        with pytest.raises(ValidationError) as invalid:
            model.model_validate(body)
        texts.extend(str(error["msg"]) for error in invalid.value.errors())
    unreadable = read(b'{"message_id": "m-1", "lab_code": "L\\u0000"}')
    assert isinstance(unreadable, Unreadable)
    texts.append(unreadable.reason)
    assert len(texts) == 11, texts
    for english in texts:
        portuguese = localize(english, PORTUGUESE)
        assert portuguese != english, english
        assert not re.search(r"\b(is|are|must|not|the|of|one|this|chain)\b", portuguese), portuguese
        assert localize(english, ENGLISH) == english


def test_a_customers_phone_refusals_are_portuguese_by_default() -> None:
    """``shared.phones``'s texts as intake answers them (``customer.phone: …``), from the real
    checks, and the console's counter form still says each in its own words."""
    from console.domain.counter_form import PHONE_PROBLEMS
    from shared.phones import InvalidPhone, normalize_mobile

    said: dict[str, str] = {}
    for raw in ("(11) 3253-1000", "(00) 12345-6789", "abc", "1" * 40):
        with pytest.raises(InvalidPhone) as refused:
            normalize_mobile(raw)
        english = f"customer.phone: {refused.value}"
        portuguese = localize(english, PORTUGUESE)
        said[raw] = portuguese
        assert localize(english, ENGLISH) == english
        problem = portuguese.removeprefix("customer.phone: ")
        assert not re.search(r"\b(is|not|the|number|phone|seem)\b", problem), portuguese
    assert said["(11) 3253-1000"] == (
        "customer.phone: não é um número de celular; o SMS precisa de um celular"
    )
    assert said["(00) 12345-6789"] == (
        "customer.phone: não é um número de telefone válido (confira o DDD e a quantidade de "
        "dígitos)"
    )
    assert (
        said["abc"] == "customer.phone: não é um número de telefone: o texto não parece um telefone"
    )
    for text in (said["(11) 3253-1000"], said["(00) 12345-6789"]):
        assert any(any(k in text for k in known) for known in PHONE_PROBLEMS), text


def test_the_console_shows_the_same_words_for_the_english_and_the_portuguese() -> None:
    """The console (which sends no Accept-Language) words a refusal it knows the same whichever
    language arrives; one it did not know is now shown in Portuguese instead of English."""
    from console.domain.problems import in_portuguese

    assert in_portuguese(
        "Value error, starts_at must be before ends_at (a window within one day)"
    ) == in_portuguese("starts_at deve ser antes de ends_at (uma janela dentro do mesmo dia)")
    assert in_portuguese("starts_at deve ser antes de ends_at") == "O início deve ser antes do fim."
    for english, portuguese in QUOTE_AND_INTAKE_TEXTS:
        before, now = in_portuguese(english), in_portuguese(portuguese)
        passed_through = {f"Valor inválido ({english}).", english[:1].upper() + english[1:]}
        if before in passed_through:  # no entry of the console's knew it: now the Portuguese
            assert now in {
                portuguese[:1].upper() + portuguese[1:],
                f"Valor inválido ({portuguese}).",
            }
        else:
            assert now == before, english
