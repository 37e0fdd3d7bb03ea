"""Staff actions on an order: recorded in intake, published as ``order.action.v1``.

Rules:
- Intake does not know the order's stage; it checks what a request must say and records it.
  Workflow decides whether the action is allowed in the order's current state and puts the
  outcome (or the refusal and its reason) on the order's timeline.
- ``reason`` is required for back, pause, cancel and reopen; ``assignee_id`` (a staff user who
  works in the order's branch; their name becomes ``assignee``) or a free-text ``assignee`` for
  assign; ``note``
  for note; ``reopen_kind`` (remake | warranty) for reopen. ``target_stage`` belongs to advance
  only. A field that does not belong to the action is refused, never silently dropped.
- The action row and its event are one transaction; the event's ``message_id`` is the action
  id. An ``Idempotency-Key`` makes a retry return the first action; the same key with another
  request is a conflict.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID, uuid4

from intake.idempotency import claim_key
from intake.sequence import next_event_seq
from shared import outbox
from shared.database import Connection
from shared.events import OrderAction, OrderActionKind
from shared.logging import current_correlation_id

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


@dataclass(frozen=True, slots=True)
class RecordedAction:
    action: dict[str, Any]
    created: bool


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


_ACTION_COLUMNS = (
    "action_id, chain_id, order_id, kind, actor, reason, target_stage, assignee, note, "
    "reopen_kind, requested_at"
)


async def find_order(conn: Connection, chain_id: UUID, order_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT order_id, branch_id, number FROM orders WHERE order_id = $1 AND chain_id = $2",
        order_id,
        chain_id,
    )
    return dict(row) if row else None


ACTING_ROLES = ("chain_admin", "branch_manager", "attendant")


async def assignee_problem(
    conn: Connection, chain_id: UUID, user_id: UUID, branch_id: UUID
) -> tuple[str | None, str | None]:
    """(the person's name, None) when ``user_id`` may take an order of ``branch_id``: an active
    staff member of the chain who acts on orders and works there (a chain admin works
    everywhere); else (None, why not, in Portuguese)."""
    row = await conn.fetchrow(
        "SELECT name, role, branch_ids, active FROM users WHERE chain_id = $1 AND user_id = $2",
        chain_id,
        user_id,
    )
    if row is None:
        return None, f"pessoa {user_id} não encontrada nesta rede"
    if not row["active"]:
        return None, f"{row['name']} está desativado(a) e não pode receber OS"
    if row["role"] not in ACTING_ROLES:
        return None, f"{row['name']} só consulta (perfil {row['role']}) e não pode receber OS"
    if row["role"] != "chain_admin" and branch_id not in row["branch_ids"]:
        return None, f"{row['name']} não trabalha na filial desta OS"
    return str(row["name"]), None


async def record_action(
    conn: Connection,
    chain_id: UUID,
    new: NewAction,
    *,
    now: datetime,
    idempotency_key: str | None,
) -> RecordedAction:
    """Record ``new`` on an order of ``chain_id`` and publish it; one transaction."""
    async with conn.transaction():
        action_id = uuid4()
        if idempotency_key is not None:
            earlier = await claim_key(
                conn,
                "action_idempotency_keys",
                chain_id,
                idempotency_key,
                new.fingerprint(),
                action_id,
            )
            if earlier is not None:
                return RecordedAction(await _get_action(conn, earlier), created=False)
        row = await conn.fetchrow(
            f"""
            INSERT INTO order_actions (action_id, chain_id, order_id, kind, actor, reason,
                target_stage, assignee, note, reopen_kind, requested_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            RETURNING {_ACTION_COLUMNS}
            """,
            action_id,
            chain_id,
            new.order_id,
            new.kind,
            new.actor,
            new.reason,
            new.target_stage,
            new.assignee,
            new.note,
            new.reopen_kind,
            now,
        )
        assert row is not None  # INSERT … RETURNING always returns the row
        order_seq = await next_event_seq(conn, new.order_id)
        await outbox.enqueue(
            conn,
            OrderAction(
                message_id=action_id,
                occurred_at=now,
                correlation_id=current_correlation_id(),
                chain_id=chain_id,
                order_id=new.order_id,
                action=new.kind,
                actor=new.actor,
                actor_id=new.actor_id,
                requested_at=now,
                reason=new.reason,
                target_stage=new.target_stage,
                assignee=new.assignee,
                assignee_id=new.assignee_id,
                note=new.note,
                reopen_kind=new.reopen_kind,
                order_seq=order_seq,
                expected_version=new.expected_version,
            ),
        )
        return RecordedAction(dict(row), created=True)


async def _get_action(conn: Connection, action_id: UUID) -> dict[str, Any]:
    row = await conn.fetchrow(
        f"SELECT {_ACTION_COLUMNS} FROM order_actions WHERE action_id = $1", action_id
    )
    assert row is not None  # the key row and the action commit together
    return dict(row)
