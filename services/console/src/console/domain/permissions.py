"""What each person may see and do in the console, by role and by the order's state.

Rules: the console only hides what the APIs would refuse anyway (the APIs decide, with the
person's own token); it shows a person only the menu entries and buttons that can work for them.
The actions an order offers mirror workflow's transition table: an open order advances, goes
back, pauses, gets an assignee or a note, is delivered or cancelled; a paused one resumes; a
closed one (delivered or cancelled) can only be reopened as a remake or a warranty.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

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


def actions_for(role: str, status: str) -> tuple[Action, ...]:
    """The buttons an order shows this person: none for read-only roles."""
    if role not in STAFF:
        return ()
    return ACTIONS_BY_STATUS.get(status, ())
