"""Fixtures of intake's store contract suites: every test runs against the in-memory fake
(``tests/fakes/intake.py``) and against PostgreSQL (a fresh, migrated database of this run,
like tests/integration's), through the same ``Transactions`` port."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from uuid import UUID

import asyncpg
import pytest

from etapa_contracts.events import BranchSnapshot, OrderAction, SendingWindow
from intake.adapters.postgres.transactions import PostgresTransactions
from intake.bootstrap import MIGRATIONS
from intake.domain.records import Action, Branch, Order
from intake.usecases.ports import Stores, Transactions
from tests.contract.databases import ContractDatabase
from tests.fakes.intake import FakeIntake

DATABASE = ContractDatabase("intake", MIGRATIONS)
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
async def intake_pool() -> asyncpg.Pool:
    return await DATABASE.pool()


@pytest.fixture(params=["fake", "postgres"])
def transactions(request: pytest.FixtureRequest) -> Transactions:
    if request.param == "fake":
        return FakeIntake()
    pool: asyncpg.Pool = request.getfixturevalue("intake_pool")
    return PostgresTransactions(pool)


def tag() -> str:
    return uuid.uuid4().hex[:6].upper()


async def new_chain(stores: Stores) -> UUID:
    chain = await stores.directory.create_chain(uuid.uuid4(), f"Rede {tag()}")
    return chain.chain_id


def snapshot(code: str | None = None, branch_id: UUID | None = None) -> BranchSnapshot:
    return BranchSnapshot(
        branch_id=branch_id or uuid.uuid4(),
        code=code or f"B{tag()[:5]}",
        name="Loja Paulista",
        state="SP",
        city="São Paulo",
        timezone="America/Sao_Paulo",
        phone="(11) 3253-1000",
        address="Av. Paulista, 1000",
        opening_hours=None,
    )


async def new_branch(stores: Stores, chain_id: UUID, code: str | None = None) -> Branch:
    branch = await stores.directory.upsert_branch(chain_id, snapshot(code), SendingWindow(), NOW)
    assert branch is not None
    return branch


async def new_order(
    stores: Stores, chain_id: UUID, branch: Branch, *, lab_code: str | None = None
) -> Order:
    numbered = await stores.sequence.take_order_number(chain_id, branch.branch_id)
    assert numbered is not None
    order = Order(
        order_id=uuid.uuid4(),
        chain_id=chain_id,
        branch_id=branch.branch_id,
        number=f"{branch.code}-{numbered.seq:06d}",
        service_type="teste",
        customer_name="Maria",
        customer_phone="+5511987654321",
        sms_consent=True,
        items=[{"kind": "lens", "description": "Lente"}],
        promised_date=None,
        lab_code=lab_code,
        lab_order_number=None,
        notes=None,
        external_reference=None,
        opened_at=NOW,
    )
    return await stores.orders.insert(order, numbered.seq)


def new_action(chain_id: UUID, order_id: UUID, kind: str, reason: str | None) -> Action:
    return Action(
        action_id=uuid.uuid4(),
        chain_id=chain_id,
        order_id=order_id,
        kind=kind,
        actor="Alice",
        reason=reason,
        target_stage=None,
        assignee=None,
        note=None,
        reopen_kind=None,
        requested_at=NOW,
    )


def action_event(action: Action) -> OrderAction:
    return OrderAction(
        message_id=action.action_id,
        occurred_at=NOW,
        correlation_id="contract",
        chain_id=action.chain_id,
        order_id=action.order_id,
        action=action.kind,
        actor=action.actor,
        requested_at=NOW,
        reason=action.reason,
    )
