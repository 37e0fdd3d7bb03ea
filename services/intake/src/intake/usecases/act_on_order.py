"""Staff actions on an order: recorded in intake, published as ``order.action.v1`` (what a
request must say: ``intake.domain.actions``).

The action row and its event are one transaction; the event's ``message_id`` is the action id
and its ``order_seq`` the order's next event number. An ``Idempotency-Key`` is claimed first:
a retry returns the first action, the same key with another request is a conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from etapa_contracts.events import OrderAction
from intake.domain.actions import NewAction, assignee_problem
from intake.domain.records import Action, Order
from intake.usecases.ports import NewId, Transactions
from shared.logging import current_correlation_id


@dataclass(frozen=True, slots=True)
class RecordedAction:
    action: Action
    created: bool


async def find_order(transactions: Transactions, chain_id: UUID, order_id: UUID) -> Order | None:
    async with transactions.begin() as stores:
        return await stores.orders.get(chain_id, order_id)


async def assignee(
    transactions: Transactions, chain_id: UUID, user_id: UUID, branch_id: UUID
) -> tuple[str | None, str | None]:
    """(the person's name, None) when ``user_id`` may take an order of ``branch_id``; else
    (None, why not, in Portuguese)."""
    async with transactions.begin() as stores:
        user = await stores.users.get(chain_id, user_id)
    if user is None:
        return None, f"pessoa {user_id} não encontrada nesta rede"
    problem = assignee_problem(user.name, user.role, user.branch_ids, user.active, branch_id)
    return (None, problem) if problem is not None else (user.name, None)


async def record_action(
    transactions: Transactions,
    chain_id: UUID,
    new: NewAction,
    *,
    now: datetime,
    new_id: NewId,
    idempotency_key: str | None,
) -> RecordedAction:
    """Record ``new`` on an order of ``chain_id`` and publish it; one transaction."""
    action_id = new_id()
    async with transactions.begin() as stores:
        if idempotency_key is not None:
            earlier = await stores.keys.claim(
                "action", chain_id, idempotency_key, new.fingerprint(), action_id
            )
            if earlier is not None:
                found = await stores.orders.get_action(earlier)
                assert found is not None  # the key row and the action commit together
                return RecordedAction(found, created=False)
        action = await stores.orders.insert_action(
            Action(
                action_id=action_id,
                chain_id=chain_id,
                order_id=new.order_id,
                kind=new.kind,
                actor=new.actor,
                reason=new.reason,
                target_stage=new.target_stage,
                assignee=new.assignee,
                note=new.note,
                reopen_kind=new.reopen_kind,
                requested_at=now,
            )
        )
        order_seq = await stores.sequence.next_event_seq(new.order_id)
        await stores.outbox.enqueue(
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
            )
        )
        return RecordedAction(action, created=True)
