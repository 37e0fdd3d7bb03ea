"""Refusals in the reader's language: pt-BR by default, English when ``Accept-Language`` asks.

Rules:
- Every 4xx body is ``{"status_code", "detail", "extra"?}``; ``detail`` names the field and the
  problem (``customer.phone: …``) in the chosen language, and a validation refusal lists each
  field in ``extra`` as ``{"key", "message", "source"?}`` with the message translated too.
- The texts come from three places: Litestar's own (``Validation failed for …``, ``Not Found``,
  …), pydantic's and msgspec's field messages, and the services' handlers (some English, some
  Portuguese). Each known text has a pattern and its rendering in the other language below; a
  ``field: problem`` prefix is kept and only the problem is translated; ``a; b`` parts are
  translated one by one. A text no pattern knows is sent as it was written.
- Pure: no Litestar import, so the table is tested on its own.
"""

# ruff: noqa: E501  (the table reads best one text a line)
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

Language = Literal["pt-BR", "en"]
PORTUGUESE: Language = "pt-BR"
ENGLISH: Language = "en"

_FIELD_PREFIX = re.compile(r"^(?P<field>[A-Za-z_][\w.\[\]-]*): (?P<rest>.+)$", re.DOTALL)

_THINGS = {
    "branch": "filial",
    "chain": "rede",
    "order": "ordem de serviço",
    "user": "usuário",
    "lab": "laboratório",
    "lab message": "mensagem de laboratório",
    "key": "chave",
    "service type": "tipo de serviço",
    "message": "mensagem",
    "provider": "provedor",
}
_FEMININE = {"branch", "chain", "order", "lab message", "key", "message"}
"""The things whose Portuguese name is feminine: "filial … não encontrada"."""
_TYPES = {
    "int": "um número inteiro",
    "float": "um número",
    "str": "um texto",
    "bool": "verdadeiro ou falso (true/false)",
    "uuid": "um UUID",
    "date": "uma data (AAAA-MM-DD)",
    "datetime": "data e hora (ISO 8601)",
    "time": "um horário (HH:MM)",
    "array": "uma lista",
    "object": "um objeto JSON",
    "null": "nulo",
}


_JSON_ERRORS = {
    "Expecting value": "esperava um valor",
    "Expecting property name enclosed in double quotes": (
        "esperava o nome de um campo entre aspas duplas"
    ),
    "Unterminated string starting at": "texto sem as aspas de fechamento",
    "Extra data": "há mais dados depois do JSON",
    "Expecting ',' delimiter": "esperava uma vírgula",
    "Expecting ':' delimiter": "esperava dois-pontos",
    "Invalid control character at": "caractere de controle inválido",
    "Invalid \\escape": "escape inválido",
}
"""Python's JSON decoder's errors (``json.JSONDecodeError``'s message, before its place)."""

_ACTIONS = {
    "back": "voltar a OS a uma etapa anterior",
    "pause": "pausar a OS",
    "cancel": "cancelar a OS",
    "reopen": "reabrir a OS",
}
"""The staff actions that need a reason, as they end "obrigatório para …"."""


_REPLAY_REFUSED = {
    "accepted": "esta já foi aceita",
    "replayed": "esta já foi reprocessada e aplicada",
    "stale": "esta foi ignorada por ser mais antiga que a última situação aplicada",
}
"""Why a lab's message in this status cannot be replayed, as "this one is …" ends."""


_PHONE_PARSE = {
    "The string supplied did not seem to be a phone number.": "o texto não parece um telefone",
    "The string supplied is too short to be a phone number.": "curto demais para um telefone",
    "The string supplied is too long to be a phone number.": "longo demais para um telefone",
}
"""Why ``phonenumbers`` could not read a number (its exception's words, after its code)."""


def _thing(match: re.Match[str]) -> str:
    return _THINGS.get(match["thing"], match["thing"])


def _found(match: re.Match[str]) -> str:
    return "encontrada" if match["thing"] in _FEMININE else "encontrado"


def _typed(match: re.Match[str]) -> str:
    return _TYPES.get(match["type"], match["type"])


Rendering = str | Callable[[re.Match[str]], str]
"""A template with ``\\g<name>`` groups, or a function of the match."""

TO_PORTUGUESE: list[tuple[str, Rendering]] = [
    # Litestar's own refusals
    (r"Validation failed for (?P<where>.+)", r"Dados inválidos em \g<where>"),
    (r"JSON is malformed: (?P<why>.+)", r"JSON malformado: \g<why>"),
    (r"Not Found", "Não encontrado"),
    (r"Method Not Allowed", "Método não permitido neste endereço"),
    (r"Request Entity Too Large", "Corpo da requisição grande demais"),
    (r"Too Many Requests", "Muitas requisições; tente de novo em instantes"),
    (r"Bad Request", "Requisição inválida"),
    (r"Unauthorized", "Não autenticado"),
    (r"Forbidden", "Proibido"),
    (r"Unsupported Media Type", "Tipo de conteúdo não suportado"),
    (r"Internal Server Error", "Erro interno; a equipe foi avisada."),
    # pydantic's field messages
    (r"Field required", "campo obrigatório"),
    (r"Extra inputs are not permitted", "campo desconhecido"),
    (r"Input should be a valid string.*", "deve ser um texto"),
    (r"Input should be a valid integer.*", "deve ser um número inteiro"),
    (r"Input should be a valid number.*", "deve ser um número"),
    (r"Input should be a finite number", "deve ser um número finito"),
    (r"Input should be a valid boolean.*", "deve ser verdadeiro ou falso (true/false)"),
    (r"Input should be a valid UUID.*", "deve ser um UUID válido"),
    (r"UUID input should be a string, bytes or UUID object", "deve ser um UUID válido"),
    (r"Input should have timezone info", "deve ter o fuso horário (ex.: 2026-02-13T10:00-03:00)"),
    (
        r"Datetimes provided to dates should have zero time.*",
        "deve ser uma data (AAAA-MM-DD), sem horário",
    ),
    (r"Input should be a valid datetime.*", "deve ser data e hora (ISO 8601)"),
    (r"Input should be a valid date.*", "deve ser uma data (AAAA-MM-DD)"),
    (r"Input should be a valid time.*", "deve ser um horário (HH:MM)"),
    (r"Input should be in a valid time format.*", "deve ser um horário (HH:MM)"),
    (r"Input should be in a valid date format.*", "deve ser uma data (AAAA-MM-DD)"),
    (r"Input should be a valid (list|array|tuple|set).*", "deve ser uma lista"),
    (r"Input should be a valid (dictionary|object).*", "deve ser um objeto JSON"),
    (r"Input should be a valid email.*|value is not a valid email.*", "deve ser um e-mail válido"),
    (
        r"Input should be (?P<choices>'.+)",
        lambda m: "deve ser " + m["choices"].replace(" or ", " ou "),
    ),
    (r"Input should be greater than or equal to (?P<n>\S+)", r"deve ser maior ou igual a \g<n>"),
    (r"Input should be greater than (?P<n>\S+)", r"deve ser maior que \g<n>"),
    (r"Input should be less than or equal to (?P<n>\S+)", r"deve ser menor ou igual a \g<n>"),
    (r"Input should be less than (?P<n>\S+)", r"deve ser menor que \g<n>"),
    (
        r"String should have at least (?P<n>\d+) characters?",
        r"deve ter pelo menos \g<n> caractere(s)",
    ),
    (
        r"String should have at most (?P<n>\d+) characters?",
        r"deve ter no máximo \g<n> caractere(s)",
    ),
    (r"String should match pattern (?P<p>.+)", r"deve seguir o padrão \g<p>"),
    (
        r"(List|Tuple|Set) should have at least (?P<n>\d+) items?.*",
        r"deve ter pelo menos \g<n> item(ns)",
    ),
    (
        r"(List|Tuple|Set) should have at most (?P<n>\d+) items?.*",
        r"deve ter no máximo \g<n> item(ns)",
    ),
    (r"Invalid JSON: (?P<why>.+)", r"JSON inválido: \g<why>"),
    (r"(Value error|Assertion failed), (?P<why>.+)", lambda m: localize(m["why"], PORTUGUESE)),
    # msgspec's (query, path and header parameters)
    (
        r"Expected `(?P<type>\w+)` (?P<op>[<>]=?) (?P<n>\S+)",
        lambda m: f"deve ser {_typed(m)} {m['op']} {m['n']}",
    ),
    (r"Expected `(?P<type>\w+)`(, got `\w+`)?", lambda m: f"deve ser {_typed(m)}"),
    (r"Expected `(?P<type>\w+) \| null`(, got `\w+`)?", lambda m: f"deve ser {_typed(m)}"),
    (
        r"Expected `(?P<type>\w+)( \| null)?` of length (?P<op>[<>]=?) (?P<n>\d+)",
        lambda m: (
            f"deve ter {'no máximo' if m['op'].startswith('<') else 'pelo menos'} {m['n']} "
            + ("caractere(s)" if m["type"] == "str" else "item(ns)")
        ),
    ),
    (
        r"Expected `(?P<type>\w+)( \| null)?` matching regex (?P<p>.+)",
        r"deve seguir o padrão \g<p>",
    ),
    (r"Invalid UUID", "deve ser um UUID válido"),
    (
        r"Invalid RFC3339 encoded (?P<type>date|datetime|time)",
        lambda m: f"deve ser {_typed(m)}",
    ),
    (r"Invalid enum value (?P<v>.+)", r"valor não aceito: \g<v>"),
    (
        r"Missing required (?P<source>\w+) parameter (?P<name>\S+)( for path \S+)?",
        r"falta o parâmetro \g<name>",
    ),
    (
        r"unknown query parameter; accepted: (?P<names>.+)",
        r"parâmetro desconhecido; aceitos: \g<names>",
    ),
    (
        r"unknown query parameter; this address takes none",
        "parâmetro desconhecido; este endereço não aceita parâmetros",
    ),
    # the services' own English texts
    (
        r"(?P<thing>branch|chain|order|user|lab message|lab|key|service type|message) (?P<id>.+) not found",
        lambda m: f"{_thing(m)} {m['id']} não {_found(m)}",
    ),
    (
        r"version (?P<v>\S+) of (service type )?(?P<code>\S+) not found",
        r"versão \g<v> de \g<code> não encontrada",
    ),
    (r"service type (?P<code>\S+) is inactive", r"tipo de serviço \g<code> está inativo"),
    (
        r"required to (?P<kind>\w+) an order",
        lambda m: f"obrigatório para {_ACTIONS.get(m['kind'], m['kind'] + ' a OS')}",
    ),
    (r"required for (?P<kind>\w+)", r"obrigatório na ação \g<kind>"),
    (r"only for (?P<only>\w+), not for (?P<kind>\w+)", r"só na ação \g<only>, não na \g<kind>"),
    (
        r"provider (?P<p>\S+) unknown; one of (?P<all>.+)",
        r"provedor \g<p> desconhecido; use um de \g<all>",
    ),
    (r"invalid token", "token inválido; entre novamente"),
    (r"token expired; sign in again", "token expirado; entre novamente"),
    (
        r"missing bearer token \(Authorization: Bearer <token>\)",
        "falta o token (Authorization: Bearer <token>)",
    ),
    (r"this endpoint needs a signed-in user", "este endereço exige um usuário que entrou"),
    (r"missing lab API key \(X-Lab-Key\)", "falta a chave de API do laboratório (X-Lab-Key)"),
    (
        r"unknown or revoked lab API key \(X-Lab-Key\)",
        "chave de API do laboratório desconhecida ou revogada (X-Lab-Key)",
    ),
    (
        r"creating a chain needs the operator key \(X-Operator-Key\)",
        "criar uma rede exige a chave do operador (X-Operator-Key)",
    ),
    (
        r"callbacks are off: NOTIFIER_CALLBACK_TOKEN is not set",
        "callbacks desligados: NOTIFIER_CALLBACK_TOKEN não está definido",
    ),
    (r"missing or invalid", "ausente ou inválida"),
    (r"missing or wrong (?P<how>.*)", r"ausente ou errado \g<how>"),
    (r"a JSON object is required", "é preciso um objeto JSON"),
    (r"must be true or false", "deve ser true ou false"),
    (r"not JSON", "não é JSON"),
    (r"not JSON \((?P<why>.+)\)", lambda m: f"não é JSON ({localize(m['why'], PORTUGUESE)})"),
    # Python's JSON decoder, inside "not JSON (…)"
    (
        r"(?P<what>.+?):? line (?P<line>\d+) column (?P<column>\d+) \(char \d+\)",
        lambda m: (
            f"{_JSON_ERRORS.get(m['what'], m['what'])}: linha {m['line']}, coluna {m['column']}"
        ),
    ),
    (
        r"'utf-8' codec can't decode bytes?( 0x[0-9a-f]+)? in position (?P<p>\S+): .+",
        r"não é UTF-8 válido (posição \g<p>)",
    ),
    # intake's reasons for rejecting a lab's message
    (r"lab (?P<code>'.+') is not registered", r"o laboratório \g<code> não está cadastrado"),
    (
        r"(?P<said>'.+') differs from the sending lab (?P<lab>'.+')",
        r"\g<said> é diferente do laboratório que enviou, \g<lab>",
    ),
    (r"no order (?P<n>\S+) in this lab's chain", r"nenhuma OS \g<n> na rede deste laboratório"),
    (r"order (?P<n>\S+) is with another lab", r"a OS \g<n> está com outro laboratório"),
    (
        r"older than the lab status this order already shows",
        "anterior à situação de laboratório que a OS já mostra",
    ),
    (r"unknown branches (?P<ids>.+)", r"filiais desconhecidas: \g<ids>"),
    (r"branch (?P<id>\S+) does not exist", r"a filial \g<id> não existe"),
    (r"e-mail (?P<email>\S+) is already in use", r"o e-mail \g<email> já está em uso"),
    (
        r"lab code (?P<code>\S+) is already taken",
        r"o código de laboratório \g<code> já está em uso",
    ),
    (r"a chain named (?P<name>.+) already exists", r"já existe uma rede chamada \g<name>"),
    (
        r"branch code (?P<code>\S+) is already used in this chain",
        r"o código de filial \g<code> já é usado nesta rede",
    ),
    (r"(?P<d>\S+) is outside (?P<a>\S+) … (?P<b>\S+)", r"\g<d> está fora de \g<a> … \g<b>"),
    (r"(?P<a>\S+) is after to \((?P<b>.+)\)", r"\g<a> é depois de to (\g<b>)"),
    (r"(?P<a>\S+) is before from \((?P<b>.+)\)", r"\g<a> é antes de from (\g<b>)"),
    (r"at most (?P<n>\d+) days after from", r"no máximo \g<n> dias depois de from"),
    (r"If-Match and expected_version differ", "If-Match e expected_version são diferentes"),
    # workflow's rules for flows (service types and their stages), usecases/flow_rules.py
    (r"(?P<v>.+) is not a valid code", r"\g<v> não é um código válido"),
    (r"(?P<v>.+) is not a valid key", r"\g<v> não é um identificador de etapa válido"),
    (
        r"use 1–64 lower-case letters, digits or hyphens, starting with a letter or digit",
        "use de 1 a 64 letras minúsculas, números ou hífens, começando por letra ou número",
    ),
    (r"must not be blank", "não pode ficar em branco"),
    (r"at most (?P<n>\d+) characters", r"no máximo \g<n> caracteres"),
    (r"must not contain control characters", "não pode ter caracteres de controle"),
    (r"a flow needs at least one stage", "o fluxo precisa de pelo menos uma etapa"),
    (r"at most (?P<n>\d+) stages", r"no máximo \g<n> etapas"),
    (
        r"duplicate stage key (?P<k>.+) \(also (?P<where>stages\[\d+\])\)",
        r"identificador de etapa \g<k> repetido (também em \g<where>)",
    ),
    (r"must be ≥ (?P<n>\S+)", r"deve ser \g<n> ou mais"),
    (r"must be ≤ (?P<n>\S+)", r"deve ser no máximo \g<n>"),
    (
        r"(?P<v>.+) is not a role identifier \(lower-case letters, digits, underscores\)",
        r"\g<v> não é um identificador de papel (letras minúsculas, números e sublinhado)",
    ),
    (r"unknown lab status (?P<s>.+)", r"status do laboratório desconhecido: \g<s>"),
    (r"known: (?P<names>[\w, ]+)", r"conhecidos: \g<names>"),
    (
        r"lab status (?P<s>.+) never moves an order \(it goes on the timeline and the order stays where it is\)",
        r"o status do laboratório \g<s> nunca move a OS (vai para a linha do tempo e a OS fica onde está)",
    ),
    (r"map it to no stage", "não o associe a nenhuma etapa"),
    (
        r"lab status (?P<s>.+) is already used by (?P<where>stages\[\d+\])",
        r"o status do laboratório \g<s> já é usado por \g<where>",
    ),
    (
        r"at least one stage must be visible_to_customer \(the customer's page shows them\)",
        "pelo menos uma etapa deve ser visível ao cliente (visible_to_customer), pois a página do cliente mostra as etapas",
    ),
    (r"service type (?P<code>.+) exists", r"o tipo de serviço \g<code> já existe"),
    (r"change it with PUT", "altere-o com PUT"),
    # workflow's rules for branch calendars, domain/calendar_settings.py and GET …/calendar
    (
        r"(?P<days>\[.*\]) not a weekday: 0 = Monday … 6 = Sunday",
        r"dia da semana inválido em \g<days> (use 0 = segunda-feira … 6 = domingo)",
    ),
    (
        r"not a weekday: 0 = Monday … 6 = Sunday",
        "dia da semana inválido (use 0 = segunda-feira … 6 = domingo)",
    ),
    (
        r"the branch must work at least one day",
        "a filial precisa funcionar pelo menos um dia da semana",
    ),
    (
        r"a local wall-clock time in hours and minutes \(HH:MM\), no time zone",
        "um horário local em horas e minutos (HH:MM), sem fuso horário",
    ),
    (
        r"must be after opens_at \((?P<t>[^)]*)\)",
        r"deve ser depois da abertura (opens_at, \g<t>)",
    ),
    (
        r"(?P<day>\S+) must close after opens_at \((?P<t>[^)]*)\)",
        r"\g<day> deve fechar depois da abertura (opens_at, \g<t>)",
    ),
    (r"must be from (?P<a>\d+) to (?P<b>\d+)", r"o ano deve ser de \g<a> a \g<b>"),
    (r"(?P<d>\d\d/\d\d/\d{4}) repeats (?P<where>\S+)", r"\g<d> já está em \g<where>"),
    # workflow's quote, GET /api/v1/quote's start (the value may hold "; ": the whole text first)
    (
        r"(?P<v>.+) is not an ISO date-time \(e\.g\. (?P<eg>[^()]+)\)",
        r"\g<v> não é uma data e hora válida (ISO 8601, ex.: \g<eg>)",
    ),
    (
        r"must be from a year ago to two years from now",
        "deve estar entre um ano atrás e dois anos à frente",
    ),
    # a customer's phone (shared/phones.py), as "customer.phone: …; …" splits it
    (r"not a mobile number", "não é um número de celular"),
    (r"SMS needs a mobile phone", "o SMS precisa de um celular"),
    (
        r"not a valid phone number \(check the area code and digit count\)",
        "não é um número de telefone válido (confira o DDD e a quantidade de dígitos)",
    ),
    (
        r"not a phone number: (?:\(\d+\) )?(?P<why>.+)",
        lambda m: "não é um número de telefone: " + _PHONE_PARSE.get(m["why"], m["why"]),
    ),
    # intake's checks of an order's references, domain/service_types.py and usecases/open_order.py
    (
        r"unknown service type (?P<code>.+) in this chain \(known: none active\)",
        r"tipo de serviço \g<code> desconhecido nesta rede (nenhum está ativo)",
    ),
    (
        r"unknown service type (?P<code>.+) in this chain \(known: (?P<known>.+)\)",
        r"tipo de serviço \g<code> desconhecido nesta rede (ativos: \g<known>)",
    ),
    (
        r"service type (?P<code>.+) is no longer active in this chain",
        r"o tipo de serviço \g<code> foi desativado nesta rede",
    ),
    (r"no lab (?P<code>.+) in this chain", r"nenhum laboratório \g<code> nesta rede"),
    # intake's bodies (entrypoints/http/schemas.py, shared/text.py's NUL check)
    (
        r"must not contain the NUL character \(\\u0000\)",
        lambda _: "não pode conter o caractere NUL (\\u0000)",
    ),
    (
        r"starts_at, ends_at: local wall-clock times, without a time zone",
        "starts_at, ends_at: horários locais, sem fuso horário",
    ),
    (
        r"starts_at must be before ends_at \(a window within one day\)",
        "starts_at deve ser antes de ends_at (uma janela dentro do mesmo dia)",
    ),
    (r"(?P<v>.+) is not a Brazilian state \(UF\)", r"\g<v> não é uma UF do Brasil"),
    (
        r"(?P<v>.+) is not an IANA time zone, e\.g\. (?P<eg>\S+)",
        r"\g<v> não é um fuso horário IANA, ex.: \g<eg>",
    ),
    # intake's branches, usecases/manage_directory.py and domain/directory.py
    (r"chain (?P<id>\S+) does not exist", r"a rede \g<id> não existe"),
    (r"branch (?P<id>\S+) belongs to another chain", r"a filial \g<id> pertence a outra rede"),
    (
        r"branch (?P<code>\S+) already has orders numbered (?P<prefix>\S+)",
        r"a filial \g<code> já tem OS numeradas \g<prefix>",
    ),
    (r"its code stays", "o código dela não pode mudar"),
    (
        r"(?P<code>\S+) numbered orders of another branch",
        r"\g<code> já numerou OS de outra filial",
    ),
    (r"choose another code", "escolha outro código"),
    # intake's replay of a lab's message, usecases/receive_lab_update.py (409)
    (r"only rejected messages can be replayed", "só mensagens recusadas podem ser reprocessadas"),
    (r"this one is (?P<s>\w+)", lambda m: _REPLAY_REFUSED.get(m["s"], f"esta está como {m['s']}")),
]

TO_ENGLISH: list[tuple[str, Rendering]] = [
    (
        r"O perfil (?P<role>.+) não pode (?P<what>.+); permitido a: (?P<who>.+)\.",
        r"The role \g<role> may not \g<what>; allowed: \g<who>.",
    ),
    (r"e-mail ou senha incorretos", "wrong e-mail or password"),
    (r"usuário inativo; entre novamente", "user inactive; sign in again"),
    (
        r"token revogado: .+",
        "token revoked: the user was changed or deactivated after signing in; sign in again",
    ),
    (
        r"Muitas tentativas de entrada; tente de novo em (?P<s>\d+) s\.",
        r"Too many sign-in attempts; try again in \g<s> s.",
    ),
    (
        r"o JSON tem mais de (?P<n>\d+) níveis de aninhamento",
        r"the JSON nests deeper than \g<n> levels",
    ),
    (r"um valor da requisição não pode ser gravado", "a value of the request cannot be stored"),
    (
        r"Banco de dados indisponível no momento; tente de novo em instantes\.",
        "The database is unavailable; try again shortly.",
    ),
    (r"Erro interno; a equipe foi avisada\.", "Internal error; the team has been told."),
    (
        r"Você não pode mudar o próprio perfil nem se desativar\.",
        "You cannot change your own role or deactivate yourself.",
    ),
    (
        r"Gerente de filial só cadastra atendentes e usuários de consulta\.",
        "A branch manager adds only attendants and viewers.",
    ),
    (
        r"Gerente de filial só cadastra usuários nas próprias filiais \(branch_ids\)\.",
        "A branch manager adds users only to their own branches (branch_ids).",
    ),
    (
        r"(?P<phone>\S+) não foi descadastrado pela sua rede",
        r"\g<phone> was not opted out by your chain",
    ),
]

_COMPILED = {
    PORTUGUESE: [(re.compile(p, re.DOTALL), r) for p, r in TO_PORTUGUESE],
    ENGLISH: [(re.compile(p, re.DOTALL), r) for p, r in TO_ENGLISH],
}


def language_of(accept_language: str | None) -> Language:
    """English when the reader prefers it to Portuguese; Portuguese otherwise."""
    best: tuple[float, Language] | None = None
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        language = {"pt": PORTUGUESE, "en": ENGLISH}.get(primary)
        if language is None or quality <= 0:
            continue
        if best is None or quality > best[0]:
            best = (quality - position * 1e-6, language)
    return best[1] if best else PORTUGUESE


def localize(text: str, language: Language) -> str:
    """``text`` in ``language`` when a pattern knows it; as written otherwise."""
    whole = _render(text, language)
    if whole is not None:
        return whole
    prefixed = _FIELD_PREFIX.match(text)
    if prefixed and "; " not in text:
        return f"{prefixed['field']}: {localize(prefixed['rest'], language)}"
    if "; " in text:
        return "; ".join(localize(part, language) for part in text.split("; "))
    return text


def _render(text: str, language: Language) -> str | None:
    for pattern, rendering in _COMPILED[language]:
        match = pattern.fullmatch(text)
        if match:
            return rendering(match) if callable(rendering) else match.expand(rendering)
    return None


def localized_body(status_code: int, detail: str, extra: Any, language: Language) -> dict[str, Any]:
    """The refusal's body in ``language``: the detail, and each field's message, translated;
    a validation refusal's detail also names its fields."""
    body: dict[str, Any] = {"status_code": status_code, "detail": localize(detail, language)}
    if isinstance(extra, list):
        items = [_localized_item(item, language) for item in extra]
        body["extra"] = items
        named = [
            f"{item.get('key') or item.get('field')}: {item.get('message') or item.get('problem')}"
            for item in items
            if isinstance(item, Mapping) and (item.get("message") or item.get("problem"))
        ]
        if named and detail.startswith("Validation failed"):
            body["detail"] += " — " + "; ".join(named)
    elif isinstance(extra, Mapping):
        body["extra"] = {
            k: localize(v, language) if isinstance(v, str) else v for k, v in extra.items()
        }
    elif extra:
        body["extra"] = extra
    return body


def _localized_item(item: Any, language: Language) -> Any:
    if not isinstance(item, Mapping):
        return item
    localized = dict(item)
    if "message" in localized and "key" not in localized and "field" not in localized:
        localized["key"] = "body"  # the body itself is not what was expected
    for name in ("message", "problem"):
        if isinstance(localized.get(name), str):
            localized[name] = localize(localized[name], language)
    return localized
