"""Staff actions on an order: recorded in intake, published as ``order.action.v1`` (what a
request must say: ``intake.domain.actions``).

The action row and its event are one statement; the event's ``message_id`` is the action id
and its ``order_seq`` the order's next event number. An ``Idempotency-Key`` is claimed first:
a retry returns the first action, the same key with another request is a conflict.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from etapa_contracts.events import OrderAction
from intake.domain.actions import NewAction, assignee_problem
from intake.domain.records import Action
from intake.usecases.ports import NewId, Stores, Transactions
from shared.logging import current_correlation_id


@dataclass(frozen=True, slots=True)
class RecordedAction:
    action: Action
    created: bool
    branch_zone: str | None  # the IANA zone of the order's branch, for the answer's times


class OrderNotFound(LookupError):
    """No such order in the chain, or one of a branch the person may not see."""


class AssigneeRefused(ValueError):
    """``assignee_id`` may not take the order (the message says why, in Portuguese)."""


async def record_action(
    transactions: Transactions,
    chain_id: UUID,
    new: NewAction,
    *,
    visible: frozenset[UUID] | None,
    now: datetime,
    new_id: NewId,
    idempotency_key: str | None,
) -> RecordedAction:
    """Record ``new`` on an order of ``chain_id`` in a branch of ``visible`` (None: any) and
    publish it.

    Without an ``Idempotency-Key`` or an assignee, that is one statement and no transaction:
    it finds the order, writes the action, takes the order's next event number and stores the
    event with it. With an assignee, the order is read first (the assignee must work in its
    branch). With a key, the claim comes first, and the statements are one transaction, so a
    retry that finds the key takes no number.

    Raises ``OrderNotFound``, ``AssigneeRefused`` or ``IdempotencyConflict`` (nothing written).
    """
    action_id = new_id()
    if idempotency_key is None and new.assignee_id is None:
        action, event = _action_and_event(chain_id, new, action_id, now)
        async with transactions.each_statement() as stores:
            stored = await stores.orders.insert_action(action, event, visible=visible)
        if stored is None:
            raise OrderNotFound(f"order {new.order_id} not found")
        return RecordedAction(stored.action, created=True, branch_zone=stored.branch_zone)
    scope = transactions.each_statement() if idempotency_key is None else transactions.begin()
    async with scope as stores:
        found = await stores.orders.get_with_branch_zone(chain_id, new.order_id)
        if found is None or not (visible is None or found[0].branch_id in visible):
            raise OrderNotFound(f"order {new.order_id} not found")
        order, zone = found
        if new.assignee_id is not None:
            name = await _assignee_name(stores, chain_id, new.assignee_id, order.branch_id)
            new = replace(new, assignee=name)
        if idempotency_key is not None:
            earlier = await stores.keys.claim(
                "action", chain_id, idempotency_key, new.fingerprint(), action_id
            )
            if earlier is not None:
                first = await stores.orders.get_action(earlier)
                assert first is not None  # the key row and the action commit together
                return RecordedAction(first, created=False, branch_zone=zone)
        action, event = _action_and_event(chain_id, new, action_id, now)
        stored = await stores.orders.insert_action(action, event, visible=visible)
        if stored is None:  # the order was read in this transaction, or just before
            raise OrderNotFound(f"order {new.order_id} not found")
        return RecordedAction(stored.action, created=True, branch_zone=zone)


def _action_and_event(
    chain_id: UUID, new: NewAction, action_id: UUID, now: datetime
) -> tuple[Action, OrderAction]:
    """The action's row and its event (``order_seq`` is set by the statement that stores it:
    the order's next event number)."""
    action = Action(
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
    event = OrderAction(
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
        order_seq=None,
        expected_version=new.expected_version,
    )
    return action, event


async def _assignee_name(stores: Stores, chain_id: UUID, assignee_id: UUID, branch_id: UUID) -> str:
    """The person's name when ``assignee_id`` may take an order of ``branch_id``."""
    user = await stores.users.get(chain_id, assignee_id)
    if user is None:
        raise AssigneeRefused(f"pessoa {assignee_id} não encontrada nesta rede")
    problem = assignee_problem(user.name, user.role, user.branch_ids, user.active, branch_id)
    if problem is not None:
        raise AssigneeRefused(problem)
    return user.name
