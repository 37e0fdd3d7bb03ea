"""The ``backend`` fixture of the notifier's contract suites: each test runs once on the
in-memory fakes (``tests/fakes/notifier_stores.py``) and once on PostgreSQL.

PostgreSQL is a fresh database of this run (``tests/contract/databases.py``); every test runs in
a transaction that is rolled back (a unit of work is a savepoint in it), so tests see only what
they wrote.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest

from notifier.adapters.postgres.stores import PostgresStores
from notifier.bootstrap import MIGRATIONS
from notifier.usecases.ports import Stores, UnitOfWork
from notifier.usecases.records import Branch, BranchWindow, Contact, NewMessage
from shared.database import Connection
from tests.contract.databases import ContractDatabase
from tests.fakes.notifier_stores import FakeDatabase, FakeStores, FakeUnitOfWork

NINE_TO_SIX_MON_TO_WED = BranchWindow(time(9), time(18), frozenset({0, 1, 2}))
T0 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
"""A Tuesday, noon in São Paulo."""


DATABASE = ContractDatabase("notifier", MIGRATIONS)
COMMITTED = ContractDatabase("notifiercommitted", MIGRATIONS)
"""For the tests whose transactions commit (the round trips): apart, so the rolled-back suites
never claim their messages."""


class SavepointUnitOfWork:
    """A unit of work inside the test's transaction: a savepoint, rolled back when it raises."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[Stores]:
        async with self._conn.transaction():
            yield PostgresStores(self._conn)

    def each_statement(self) -> contextlib.AbstractAsyncContextManager[Stores]:
        """A savepoint too: a statement that fails leaves the test's transaction usable."""
        return self()


@dataclass
class Backend:
    stores: Stores
    uow: UnitOfWork
    kind: str
    conn: Connection | None = None
    fake: FakeDatabase | None = None

    async def published(self) -> list[tuple[str, str | None]]:
        """``notification.status.v1`` events enqueued, oldest first: (status, reason)."""
        if self.fake is not None:
            return [
                (str(event.model_dump()["status"]), event.model_dump()["reason"])
                for event in self.fake.outbox
            ]
        assert self.conn is not None
        rows = await self.conn.fetch(
            "SELECT payload FROM outbox WHERE routing_key = 'notification.status.v1' ORDER BY id"
        )
        return [(r["payload"]["status"], r["payload"]["reason"]) for r in rows]


@pytest.fixture(params=["fake", "postgres"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    if request.param == "fake":
        db = FakeDatabase()
        yield Backend(FakeStores(db), FakeUnitOfWork(db), "fake", fake=db)
        return
    pool = await DATABASE.pool()
    async with pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        try:
            yield Backend(PostgresStores(conn), SavepointUnitOfWork(conn), "postgres", conn=conn)
        finally:
            await transaction.rollback()


# --- builders --------------------------------------------------------------------------------


def contact(
    chain_id: uuid.UUID | None = None,
    *,
    order_id: uuid.UUID | None = None,
    branch_id: uuid.UUID | None = None,
    phone: str = "+5511987654321",
    consent: bool = True,
    at: datetime = T0,
    name: str = "MARIA DA SILVA",
) -> Contact:
    return Contact(
        order_id=order_id or uuid.uuid4(),
        chain_id=chain_id or uuid.uuid4(),
        branch_id=branch_id or uuid.uuid4(),
        order_number="SP01-000001",
        customer_name=name,
        phone=phone,
        sms_consent=consent,
        branch_name="Visão Clara Paulista",
        branch_phone="(11) 3253-1000",
        updated_at=at,
    )


def message(
    of: Contact,
    entry_sequence: int = 1,
    *,
    due: datetime = T0,
    stage_key: str | None = None,
    suppressed_reason: str | None = None,
) -> NewMessage:
    return NewMessage(
        notification_id=uuid.uuid4(),
        chain_id=of.chain_id,
        order_id=of.order_id,
        branch_id=of.branch_id,
        order_number=of.order_number,
        entry_sequence=entry_sequence,
        stage_key=stage_key or f"etapa{entry_sequence}",
        stage_name="Montagem",
        customer_stage_name=None,
        template="Olá {nome}! OS {numero_os}.",
        promised_date=None,
        forecast_date=None,
        next_attempt_at=due,
        tracking_token=None,
        suppressed_reason=suppressed_reason,
    )


def branch(
    of: Contact,
    *,
    at: datetime = T0,
    window: BranchWindow | None = NINE_TO_SIX_MON_TO_WED,
    chain_id: uuid.UUID | None = None,
    name: str = "Visão Clara Paulista",
) -> Branch:
    return Branch(
        branch_id=of.branch_id,
        chain_id=chain_id or of.chain_id,
        name=name,
        state="SP",
        city="São Paulo",
        timezone="America/Sao_Paulo",
        window=window,
        updated_at=at,
    )


async def recorded(backend: Backend, of: Contact, entry_sequence: int = 1) -> NewMessage:
    """A contact and one due message of it."""
    await backend.stores.consent.keep_contact(of)
    new = message(of, entry_sequence)
    assert await backend.stores.messages.add(new)
    return new


LEASE = 30.0
LATER = timedelta(seconds=LEASE + 1)
