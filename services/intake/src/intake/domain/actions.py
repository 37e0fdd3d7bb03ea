"""Staff actions on an order: what a request must say before intake records it.

Rules:
- Intake does not know the order's stage; it checks what a request must say and records it.
  Workflow decides whether the action is allowed in the order's current state and puts the
  outcome (or the refusal and its reason) on the order's timeline.
- ``reason`` is required for back, pause, cancel and reopen; ``assignee_id`` (a staff user who
  works in the order's branch; their name becomes ``assignee``) or a free-text ``assignee`` for
  assign; ``note`` for note; ``reopen_kind`` (remake | warranty) for reopen. ``target_stage``
  belongs to advance only. A field that does not belong to the action is refused, never
  silently dropped.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Literal
from uuid import UUID

from etapa_contracts.events import OrderActionKind

ReopenKind = Literal["remake", "warranty"]
REASON_REQUIRED: frozenset[str] = frozenset({"back", "pause", "cancel", "reopen"})
_ONLY_FOR = {
    "target_stage": "advance",
    "assignee": "assign",
    "assignee_id": "assign",
    "note": "note",
    "reopen_kind": "reopen",
}
_REQUIRED_FOR = {"assign": "assignee", "note": "note", "reopen": "reopen_kind"}


@dataclass(frozen=True, slots=True)
class NewAction:
    order_id: UUID
    kind: OrderActionKind
    actor: str
    actor_id: UUID | None = None
    reason: str | None = None
    target_stage: str | None = None
    assignee: str | None = None
    note: str | None = None
    reopen_kind: ReopenKind | None = None
    expected_version: int | None = None
    assignee_id: UUID | None = None

    def fingerprint(self) -> str:
        fields = asdict(self)
        for name in ("expected_version", "assignee_id"):
            if fields[name] is None:  # as before the field existed: old keys match
                del fields[name]
        canonical = json.dumps(fields, default=str, sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()


def problems(new: NewAction) -> list[tuple[str, str]]:
    """What is missing or out of place in ``new``, as (field, problem); empty when it is fine."""
    found: list[tuple[str, str]] = []
    if new.kind in REASON_REQUIRED and not new.reason:
        found.append(("reason", f"required to {new.kind} an order"))
    required = _REQUIRED_FOR.get(new.kind)
    if new.kind == "assign" and new.assignee_id is not None:
        required = None
    if required and not getattr(new, required):
        found.append((required, f"required for {new.kind}"))
    for field, kind in _ONLY_FOR.items():
        if new.kind != kind and getattr(new, field) is not None:
            found.append((field, f"only for {kind}, not for {new.kind}"))
    return found


ACTING_ROLES = ("chain_admin", "branch_manager", "attendant")


def assignee_problem(
    name: str, role: str, branch_ids: list[UUID], active: bool, branch_id: UUID
) -> str | None:
    """Why this person may not take an order of ``branch_id`` (in Portuguese); None when they
    may: an active staff member who acts on orders and works there (a chain admin works
    everywhere)."""
    if not active:
        return f"{name} está desativado(a) e não pode receber OS"
    if role not in ACTING_ROLES:
        return f"{name} só consulta (perfil {role}) e não pode receber OS"
    if role != "chain_admin" and branch_id not in branch_ids:
        return f"{name} não trabalha na filial desta OS"
    return None
