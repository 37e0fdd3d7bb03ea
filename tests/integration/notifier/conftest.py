"""The notifier alone on the run's real PostgreSQL, with the fake SMS provider over real HTTP.

``world`` gives a migrated notifier database (emptied before each test), a clock the test
moves, and helpers that record orders through the notifier's own event handlers.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import asyncpg
import pytest

from etapa_contracts.events import (
    BranchSnapshot,
    BranchUpserted,
    CustomerSummary,
    OrderClosed,
    OrderOpened,
    OrderStageChanged,
    SendingWindow,
    StageRef,
)
from notifier import bootstrap
from notifier.adapters.holiday_calendar import closed_days
from notifier.adapters.providers.http import HttpWebhookProvider
from notifier.bootstrap import MIGRATIONS
from notifier.entrypoints.consumers import NotifierHandlers
from notifier.entrypoints.loops import DispatcherLoop
from notifier.usecases.dispatch import DispatchPolicy
from notifier.usecases.ports import SmsProvider
from notifier.usecases.send_round import Providers
from shared.database import create_pool
from shared.runtime import migrate_service_database
from tests.fakes.sms_provider import FakeSmsProvider
from tests.infra import Infra

TUESDAY_NOON_SP = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
TEMPLATE = "Olá {nome}! Sua OS {numero_os} está em {etapa} na {filial}. Previsão: {previsao}."


@dataclass
class Clock:
    now: datetime = TUESDAY_NOON_SP

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class Order:
    order_id: uuid.UUID
    chain_id: uuid.UUID
    branch: BranchSnapshot
    number: str
    phone: str


@dataclass
class World:
    pool: asyncpg.Pool
    fake: FakeSmsProvider
    clock: Clock = field(default_factory=Clock)
    handlers: NotifierHandlers = field(default_factory=bootstrap.handlers)

    def dispatcher(
        self,
        *,
        primary: SmsProvider | None = None,
        fallback: SmsProvider | None = None,
        fallback_after: int = 2,
        batch_size: int = 50,
        **policy: Any,
    ) -> DispatcherLoop:
        settings: dict[str, Any] = {"send_tries": 2, "retry_base_delay": 10.0, "send_timeout": 2}
        settings.update(policy)
        return bootstrap.dispatcher(
            self.pool,
            Providers(primary or self.http_provider(), fallback, fallback_after),
            self.clock,
            closed_days,
            policy=DispatchPolicy(**settings),
            tracking_base_url="https://etapa.example/os",
            interval=0.05,
            batch_size=batch_size,
        )

    def http_provider(self) -> HttpWebhookProvider:
        return HttpWebhookProvider(f"{self.fake.url}/sms", timeout=2)

    async def branch(
        self,
        chain_id: uuid.UUID | None = None,
        *,
        state: str = "SP",
        timezone: str = "America/Sao_Paulo",
        window: SendingWindow | None = None,
    ) -> tuple[uuid.UUID, BranchSnapshot]:
        chain_id = chain_id or uuid.uuid4()
        snapshot = BranchSnapshot(
            branch_id=uuid.uuid4(),
            code="SP01",
            name="Visão Clara Paulista",
            state=state,
            city="São Paulo",
            timezone=timezone,
            phone="(11) 3253-1000",
        )
        event = BranchUpserted(
            occurred_at=self.clock(),
            correlation_id="t",
            chain_id=chain_id,
            branch=snapshot,
            sending_window=window or SendingWindow(),
        )
        async with self.pool.acquire() as conn:
            await self.handlers.on_branch_upserted(conn, event)
        return chain_id, snapshot

    async def open_order(
        self,
        *,
        phone: str = "+5511987654321",
        consent: bool = True,
        name: str = "MARIA DA SILVA",
        chain_and_branch: tuple[uuid.UUID, BranchSnapshot] | None = None,
    ) -> Order:
        chain_id, branch = chain_and_branch or await self.branch()
        order_id = uuid.uuid4()
        number = f"SP01-{uuid.uuid4().int % 1_000_000:06d}"
        event = OrderOpened(
            occurred_at=self.clock(),
            correlation_id="t",
            chain_id=chain_id,
            order_id=order_id,
            order_number=number,
            branch=branch,
            service_type="teste",
            customer=CustomerSummary(name=name, phone=phone, sms_consent=consent),
            opened_at=self.clock(),
        )
        async with self.pool.acquire() as conn:
            await self.handlers.on_order_opened(conn, event)
        return Order(order_id, chain_id, branch, number, phone)

    async def enter_stage(
        self,
        order: Order,
        entry_sequence: int = 1,
        template: str | None = TEMPLATE,
        *,
        promised: date | None = date(2026, 12, 3),
        stage_key: str | None = None,
        sms_on_reentry: bool = False,
    ) -> None:
        event = OrderStageChanged(
            occurred_at=self.clock(),
            correlation_id="t",
            chain_id=order.chain_id,
            order_id=order.order_id,
            order_number=order.number,
            branch_id=order.branch.branch_id,
            from_stage=None,
            to_stage=StageRef(
                key=stage_key or f"etapa{entry_sequence}", name="Montagem", position=0
            ),
            entry_sequence=entry_sequence,
            entered_at=self.clock(),
            due_at=self.clock(),
            projected_completion_at=datetime(2026, 12, 1, 18, tzinfo=UTC),
            promised_date=promised,
            sms_template=template,
            sms_on_reentry=sms_on_reentry,
        )
        async with self.pool.acquire() as conn:
            await self.handlers.on_stage_changed(conn, event)

    async def close_order(self, order: Order) -> None:
        event = OrderClosed(
            occurred_at=self.clock(),
            correlation_id="t",
            chain_id=order.chain_id,
            order_id=order.order_id,
            outcome="delivered",
            closed_at=self.clock(),
        )
        async with self.pool.acquire() as conn:
            await self.handlers.on_order_closed(conn, event)

    async def message(self, order: Order, entry_sequence: int = 1) -> dict[str, Any]:
        row = await self.pool.fetchrow(
            "SELECT * FROM messages WHERE order_id = $1 AND entry_sequence = $2",
            order.order_id,
            entry_sequence,
        )
        assert row is not None
        return dict(row)

    async def published(self, order: Order) -> list[tuple[str, str | None]]:
        rows = await self.pool.fetch(
            """
            SELECT payload FROM outbox WHERE routing_key = 'notification.status.v1'
              AND payload->>'order_id' = $1 ORDER BY id
            """,
            str(order.order_id),
        )
        return [(r["payload"]["status"], r["payload"]["reason"]) for r in rows]


@pytest.fixture(scope="module")
async def notifier_database(infra: Infra) -> AsyncIterator[asyncpg.Pool]:
    url = infra.service_env("ntf")["NOTIFIER_DATABASE_URL"]
    await migrate_service_database(url, MIGRATIONS)
    pool = await create_pool(url)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture(scope="module")
async def fake_provider() -> AsyncIterator[FakeSmsProvider]:
    fake = FakeSmsProvider()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def world(notifier_database: asyncpg.Pool, fake_provider: FakeSmsProvider) -> World:
    await notifier_database.execute(
        "TRUNCATE messages, contacts, branches, order_progress, opt_outs, outbox"
    )
    fake_provider.reset()
    return World(notifier_database, fake_provider)


def window(
    starts: time, ends: time, weekdays: tuple[int, ...] = (0, 1, 2, 3, 4, 5)
) -> SendingWindow:
    return SendingWindow(starts_at=starts, ends_at=ends, weekdays=weekdays)
