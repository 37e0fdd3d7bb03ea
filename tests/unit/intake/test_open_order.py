"""Opening an order on the fakes: numbers, the idempotency key claimed first, references,
the promised date, and the event in the outbox."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from etapa_contracts.events import BranchSnapshot, OrderOpened, SendingWindow
from intake.domain.idempotency import IdempotencyConflict
from intake.domain.orders import InvalidOrderField, NewOrder, UnknownBranch
from intake.domain.records import Branch
from intake.usecases.open_order import open_order
from tests.fakes.intake import FakeIntake

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 11:00 in São Paulo


async def _chain_and_branch(intake: FakeIntake) -> tuple[uuid.UUID, Branch]:
    async with intake.begin() as stores:
        chain = await stores.directory.create_chain(uuid.uuid4(), "Visão Clara")
        branch = await stores.directory.upsert_branch(
            chain.chain_id,
            BranchSnapshot(
                branch_id=uuid.uuid4(),
                code="SP01",
                name="Paulista",
                state="SP",
                city="São Paulo",
                timezone="America/Sao_Paulo",
            ),
            SendingWindow(),
            NOW,
        )
    assert branch is not None
    return chain.chain_id, branch


def _new(branch: Branch, **changes: object) -> NewOrder:
    fields: dict[str, object] = {
        "branch_id": branch.branch_id,
        "service_type": "reparo",
        "customer_name": "Maria da Silva",
        "customer_phone": "+5511987654321",
        "sms_consent": True,
        "items": [],
        "promised_date": None,
        "lab_code": None,
        "notes": None,
        "external_reference": None,
    }
    return NewOrder(**(fields | changes))  # type: ignore[arg-type]


async def test_orders_are_numbered_per_branch_and_published() -> None:
    intake = FakeIntake()
    chain_id, branch = await _chain_and_branch(intake)
    first = await open_order(
        intake, _new(branch), chain_id=chain_id, now=NOW, new_id=uuid.uuid4, idempotency_key=None
    )
    second = await open_order(
        intake, _new(branch), chain_id=chain_id, now=NOW, new_id=uuid.uuid4, idempotency_key=None
    )
    assert (first.created, first.order.number, second.order.number) == (
        True,
        "SP01-000001",
        "SP01-000002",
    )
    opened = [e for e in intake.published if isinstance(e, OrderOpened)]
    assert [e.order_number for e in opened] == ["SP01-000001", "SP01-000002"]
    assert opened[0].order_id == first.order.order_id
    assert opened[0].order_seq == 1
    assert opened[0].branch.chain_name == "Visão Clara"


async def test_a_retry_with_the_key_returns_the_first_order_and_takes_no_number() -> None:
    intake = FakeIntake()
    chain_id, branch = await _chain_and_branch(intake)
    first = await open_order(
        intake, _new(branch), chain_id=chain_id, now=NOW, new_id=uuid.uuid4, idempotency_key="k"
    )
    retry = await open_order(
        intake, _new(branch), chain_id=chain_id, now=NOW, new_id=uuid.uuid4, idempotency_key="k"
    )
    assert (retry.created, retry.order) == (False, first.order)
    assert len(intake.published) == 1  # one order: the retry published nothing
    after = await open_order(
        intake, _new(branch), chain_id=chain_id, now=NOW, new_id=uuid.uuid4, idempotency_key=None
    )
    assert after.order.number == "SP01-000002"  # the retry took no number


async def test_the_same_key_with_another_request_is_a_conflict_and_changes_nothing() -> None:
    intake = FakeIntake()
    chain_id, branch = await _chain_and_branch(intake)
    await open_order(
        intake, _new(branch), chain_id=chain_id, now=NOW, new_id=uuid.uuid4, idempotency_key="k"
    )
    published = len(intake.published)
    with pytest.raises(IdempotencyConflict):
        await open_order(
            intake,
            _new(branch, customer_name="Outra Pessoa"),
            chain_id=chain_id,
            now=NOW,
            new_id=uuid.uuid4,
            idempotency_key="k",
        )
    assert len(intake.published) == published


async def test_a_refused_order_gives_back_its_number_and_its_key() -> None:
    intake = FakeIntake()
    chain_id, branch = await _chain_and_branch(intake)
    with pytest.raises(InvalidOrderField) as refused:
        await open_order(
            intake,
            _new(branch, promised_date=date(2026, 11, 22)),
            chain_id=chain_id,
            now=NOW,
            new_id=uuid.uuid4,
            idempotency_key="k",
        )
    assert refused.value.field == "promised_date"
    assert "22/11/2026" in str(refused.value)
    opened = await open_order(
        intake,
        _new(branch, promised_date=date(2026, 11, 23)),  # today in São Paulo: fine
        chain_id=chain_id,
        now=NOW,
        new_id=uuid.uuid4,
        idempotency_key="k",  # the key was not kept by the refused request
    )
    assert (opened.created, opened.order.number) == (True, "SP01-000001")


async def test_unknown_branch_service_type_and_lab_are_refused_by_field() -> None:
    intake = FakeIntake()
    chain_id, branch = await _chain_and_branch(intake)
    with pytest.raises(UnknownBranch):
        await open_order(
            intake,
            _new(branch, branch_id=uuid.uuid4()),
            chain_id=chain_id,
            now=NOW,
            new_id=uuid.uuid4,
            idempotency_key=None,
        )
    with pytest.raises(UnknownBranch):  # a branch of another chain is no branch
        await open_order(
            intake,
            _new(branch),
            chain_id=uuid.uuid4(),
            now=NOW,
            new_id=uuid.uuid4,
            idempotency_key=None,
        )
    async with intake.begin() as stores:
        await stores.service_types.keep(chain_id, "troca", "Troca", 1, True, NOW)
    for changes, field in (
        ({"service_type": "reparo"}, "service_type"),
        ({"service_type": "troca", "lab_code": "LABX"}, "lab_code"),
    ):
        with pytest.raises(InvalidOrderField) as refused:
            await open_order(
                intake,
                _new(branch, **changes),
                chain_id=chain_id,
                now=NOW,
                new_id=uuid.uuid4,
                idempotency_key=None,
            )
        assert refused.value.field == field
    assert [e for e in intake.published if isinstance(e, OrderOpened)] == []
