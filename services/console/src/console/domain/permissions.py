"""What each person may see and do in the console, by role and by the order's state.

Rules: the console only hides what the APIs would refuse anyway (the APIs decide, with the
person's own token); it shows a person only the menu entries and buttons that can work for them.
The actions an order offers mirror workflow's transition table: an open order advances, goes
back, pauses, gets an assignee or a note, is delivered or cancelled; a paused one resumes; a
closed one (delivered or cancelled) can only be reopened as a remake or a warranty. Where the
order stands in its flow narrows them as workflow does: no "Avançar" from the last stage, no
"Voltar" from the first, "Entregar" only from the last stage or a stage that waits for the
customer (it pauses the clock). An order whose stage its flow no longer lists shows them all,
and workflow's refusal says why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

ROLE_LABELS = {
    "chain_admin": "administrador da rede",
    "branch_manager": "gerente de filial",
    "attendant": "atendente",
    "viewer": "consulta",
}
STAFF = frozenset({"chain_admin", "branch_manager", "attendant"})
MANAGERS = frozenset({"chain_admin", "branch_manager"})
ADMINS = frozenset({"chain_admin"})
EVERYONE = frozenset(ROLE_LABELS)


@dataclass(frozen=True, slots=True)
class MenuEntry:
    label: str
    path: str
    roles: frozenset[str]


MENU = (
    MenuEntry("Quadro", "/", EVERYONE),
    MenuEntry("Nova OS", "/os/nova", STAFF),
    MenuEntry("Minhas OS", "/os?responsavel=me&situacao=open", STAFF),
    MenuEntry("Buscar", "/os", EVERYONE),
    MenuEntry("Tipos de OS", "/tipos", EVERYONE),
    MenuEntry("Calendários", "/calendarios", EVERYONE),
    MenuEntry("Análise", "/analise", MANAGERS),
    MenuEntry("Revisão", "/revisao", MANAGERS),
    MenuEntry("Pessoas", "/pessoas", MANAGERS),
    MenuEntry("Laboratórios", "/laboratorios", ADMINS),
    MenuEntry("Mensagens", "/mensagens", STAFF),
)


def menu_for(role: str) -> list[MenuEntry]:
    return [entry for entry in MENU if role in entry.roles]


class Action(StrEnum):
    ADVANCE = "advance"
    BACK = "back"
    PAUSE = "pause"
    RESUME = "resume"
    ASSIGN = "assign"
    NOTE = "note"
    DELIVER = "deliver"
    CANCEL = "cancel"
    REOPEN = "reopen"


ACTION_LABELS = {
    Action.ADVANCE: "Avançar",
    Action.BACK: "Voltar",
    Action.PAUSE: "Pausar",
    Action.RESUME: "Retomar",
    Action.ASSIGN: "Trocar responsável",
    Action.NOTE: "Anotar",
    Action.DELIVER: "Entregar",
    Action.CANCEL: "Cancelar",
    Action.REOPEN: "Reabrir (refação/garantia)",
}
NEEDS_REASON = frozenset({Action.BACK, Action.PAUSE, Action.CANCEL, Action.REOPEN})

ACTIONS_BY_STATUS: dict[str, tuple[Action, ...]] = {
    "in_progress": (
        Action.ADVANCE,
        Action.BACK,
        Action.PAUSE,
        Action.ASSIGN,
        Action.NOTE,
        Action.DELIVER,
        Action.CANCEL,
    ),
    "paused": (Action.RESUME, Action.ASSIGN, Action.NOTE, Action.DELIVER, Action.CANCEL),
    "delivered": (Action.REOPEN,),
    "cancelled": (Action.REOPEN,),
}


@dataclass(frozen=True, slots=True)
class StagePlace:
    """Where an order stands in its flow, as far as its buttons care."""

    first: bool
    last: bool
    waits_for_customer: bool
    """The stage pauses the clock ("pronto, aguardando retirada"): it can be delivered."""


def stage_place(stages: Sequence[Mapping[str, Any]], stage_key: str | None) -> StagePlace | None:
    """``stages``: the flow version's, in order, each with ``key`` and ``pauses_clock``;
    ``None`` when the order's stage is not among them."""
    keys = [str(stage.get("key")) for stage in stages]
    if stage_key not in keys:
        return None
    here = keys.index(stage_key)
    return StagePlace(
        first=here == 0,
        last=here == len(keys) - 1,
        waits_for_customer=bool(stages[here].get("pauses_clock")),
    )


def actions_for(role: str, status: str, place: StagePlace | None = None) -> tuple[Action, ...]:
    """The buttons an order shows this person: none for read-only roles."""
    if role not in STAFF:
        return ()
    actions = ACTIONS_BY_STATUS.get(status, ())
    if place is None:
        return actions
    refused = set()
    if place.last:
        refused.add(Action.ADVANCE)
    if place.first:
        refused.add(Action.BACK)
    if not (place.last or place.waits_for_customer):
        refused.add(Action.DELIVER)
    return tuple(action for action in actions if action not in refused)
