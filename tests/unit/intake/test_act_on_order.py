"""Recording a staff action on the fakes: the event, its number, and the idempotency key."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from etapa_contracts.events import OrderAction, UserUpserted
from intake.domain.actions import NewAction
from intake.domain.idempotency import IdempotencyConflict
from intake.usecases.act_on_order import AssigneeRefused, OrderNotFound, RecordedAction
from intake.usecases.act_on_order import record_action as record_action_seen_by
from intake.usecases.manage_users import NewUser, UserChanges, create_user, update_user
from intake.usecases.open_order import open_order
from shared.auth import Role
from tests.fakes.intake import FakeIntake, FakePasswords
from tests.unit.intake.test_open_order import NOW, _chain_and_branch, _new


async def record_action(
    intake: FakeIntake, chain_id: uuid.UUID, new: NewAction, **kwargs: Any
) -> RecordedAction:
    """As a person who sees every branch of the chain."""
    return await record_action_seen_by(intake, chain_id, new, visible=None, **kwargs)


async def _order(intake: FakeIntake) -> tuple[uuid.UUID, uuid.UUID]:
    chain_id, branch = await _chain_and_branch(intake)
    opened = await open_order(
        intake, _new(branch), chain_id=chain_id, now=NOW, new_id=uuid.uuid4, idempotency_key=None
    )
    return chain_id, opened.order.order_id


async def test_actions_are_published_numbered_after_the_opening() -> None:
    intake = FakeIntake()
    chain_id, order_id = await _order(intake)
    later = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    for kind in ("advance", "advance"):
        recorded = await record_action(
            intake,
            chain_id,
            NewAction(order_id=order_id, kind=kind, actor="Alice"),
            now=later,
            new_id=uuid.uuid4,
            idempotency_key=None,
        )
        assert recorded.created
    events = [e for e in intake.published if isinstance(e, OrderAction)]
    assert [(e.action, e.order_seq) for e in events] == [("advance", 2), ("advance", 3)]
    assert events[1].message_id == recorded.action.action_id
    assert recorded.action.requested_at == later


async def test_a_retry_returns_the_first_action_and_another_body_is_a_conflict() -> None:
    intake = FakeIntake()
    chain_id, order_id = await _order(intake)
    pause = NewAction(order_id=order_id, kind="pause", actor="Alice", reason="viagem")
    first = await record_action(
        intake, chain_id, pause, now=NOW, new_id=uuid.uuid4, idempotency_key="k"
    )
    retry = await record_action(
        intake, chain_id, pause, now=NOW, new_id=uuid.uuid4, idempotency_key="k"
    )
    assert (retry.created, retry.action) == (False, first.action)
    assert len([e for e in intake.published if isinstance(e, OrderAction)]) == 1
    with pytest.raises(IdempotencyConflict):
        await record_action(
            intake,
            chain_id,
            NewAction(order_id=order_id, kind="pause", actor="Alice", reason="outra"),
            now=NOW,
            new_id=uuid.uuid4,
            idempotency_key="k",
        )


async def test_an_assignee_must_act_on_orders_and_work_in_the_orders_branch() -> None:
    intake = FakeIntake()
    chain_id, branch = await _chain_and_branch(intake)
    people = {}
    for name, role, branch_ids in (
        ("Ana", Role.ATTENDANT, frozenset({branch.branch_id})),
        ("Bia", Role.ATTENDANT, frozenset()),
        ("Caio", Role.VIEWER, frozenset({branch.branch_id})),
        ("Dora", Role.CHAIN_ADMIN, frozenset()),
    ):
        user = NewUser(f"{name.lower()}@etapa.test", name, role, branch_ids, "senha-longa-1")
        created = await create_user(intake, FakePasswords(), chain_id, user, uuid.uuid4)
        people[name] = created.user_id
    await update_user(
        intake,
        FakePasswords(),
        chain_id,
        people["Dora"],
        UserChanges(name="Dora Admin"),
        datetime(2026, 12, 2, 12, 0, tzinfo=UTC),
    )

    opened = await open_order(
        intake, _new(branch), chain_id=chain_id, now=NOW, new_id=uuid.uuid4, idempotency_key=None
    )

    async def assign(person: uuid.UUID) -> str | None:
        new = NewAction(
            order_id=opened.order.order_id, kind="assign", actor="Alice", assignee_id=person
        )
        recorded = await record_action(
            intake, chain_id, new, now=NOW, new_id=uuid.uuid4, idempotency_key=None
        )
        return recorded.action.assignee

    assert await assign(people["Ana"]) == "Ana"
    assert await assign(people["Dora"]) == "Dora Admin"  # the newest name
    for person, why in (
        (people["Bia"], "Bia não trabalha na filial desta OS"),
        (people["Caio"], "Caio só consulta (perfil viewer) e não pode receber OS"),
        (uuid.uuid4(), "não encontrada nesta rede"),
    ):
        with pytest.raises(AssigneeRefused, match=re.escape(why)):
            await assign(person)
    assigned = [e for e in intake.published if isinstance(e, OrderAction)]
    assert [(e.assignee, e.assignee_id) for e in assigned] == [
        ("Ana", people["Ana"]),
        ("Dora Admin", people["Dora"]),
    ]
    # every change told workflow: four creations and one update, the newest name last
    upserted = [e for e in intake.published if isinstance(e, UserUpserted)]
    assert [e.name for e in upserted] == ["Ana", "Bia", "Caio", "Dora", "Dora Admin"]
    assert upserted[0].branch_ids == (branch.branch_id,)


async def test_an_order_of_another_branch_or_chain_is_not_found_and_nothing_is_written() -> None:
    intake = FakeIntake()
    chain_id, order_id = await _order(intake)
    before = list(intake.published)
    advance = NewAction(order_id=order_id, kind="advance", actor="Alice")
    for key in ("k", None):  # with a key (a transaction) and without (one statement)
        with pytest.raises(OrderNotFound):
            await record_action_seen_by(
                intake,
                chain_id,
                advance,
                visible=frozenset({uuid.uuid4()}),  # another branch's person
                now=NOW,
                new_id=uuid.uuid4,
                idempotency_key=key,
            )
    with pytest.raises(OrderNotFound):
        await record_action(
            intake, uuid.uuid4(), advance, now=NOW, new_id=uuid.uuid4, idempotency_key=None
        )
    assert intake.published == before
    # the key was not taken by the refused request
    recorded = await record_action(
        intake, chain_id, advance, now=NOW, new_id=uuid.uuid4, idempotency_key="k"
    )
    assert recorded.created
    assert recorded.branch_zone == "America/Sao_Paulo"
