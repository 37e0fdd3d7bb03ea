"""The notifier alone on the run's real PostgreSQL, with the fake SMS provider over real HTTP.

``world`` gives a migrated notifier database (emptied before each test), a clock the test
moves, and helpers that record orders through the notifier's own event handlers.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

import asyncpg
import pytest

from etapa_contracts.events import (
    BranchSnapshot,
    SendingWindow,
)
from notifier import bootstrap
from notifier.adapters.holiday_calendar import closed_days
from notifier.adapters.postgres.messages import PostgresMessages
from notifier.adapters.providers.http import HttpWebhookProvider
from notifier.bootstrap import MIGRATIONS
from notifier.entrypoints.consumers import NotifierHandlers
from notifier.entrypoints.loops import DispatcherLoop
from notifier.usecases.dispatch import DispatchPolicy
from notifier.usecases.ports import SmsProvider
from notifier.usecases.records import MessageQuery
from notifier.usecases.send_round import Providers
from shared.database import create_pool
from shared.runtime import migrate_service_database
from tests.fakes.notifier_kit import (
    TEMPLATE,
    Clock,
    Order,
    branch_upserted,
    order_delivered,
    order_opened,
    stage_entered,
)
from tests.fakes.sms_provider import FakeSmsProvider
from tests.infra import Infra


@dataclass
class World:
    pool: asyncpg.Pool
    fake: FakeSmsProvider
    clock: Clock = field(default_factory=Clock)
    handlers: NotifierHandlers = field(default_factory=bootstrap.handlers)
    dispatchers: list[DispatcherLoop] = field(default_factory=list)
    """Every dispatcher made, whose providers' HTTP sessions the fixture closes."""

    def dispatcher(
        self,
        *,
        primary: SmsProvider | None = None,
        fallback: SmsProvider | None = None,
        fallback_after: int = 2,
        batch_size: int = 50,
        stop_grace: float = 5.0,
        **policy: Any,
    ) -> DispatcherLoop:
        settings: dict[str, Any] = {"send_tries": 2, "retry_base_delay": 10.0, "send_timeout": 2}
        settings.update(policy)
        loop = bootstrap.dispatcher(
            self.pool,
            Providers(primary or self.http_provider(), fallback, fallback_after),
            self.clock,
            closed_days,
            policy=DispatchPolicy(**settings),
            tracking_base_url="https://etapa.example/os",
            interval=0.05,
            batch_size=batch_size,
            stop_grace=stop_grace,
        )
        self.dispatchers.append(loop)
        return loop

    async def close(self) -> None:
        for loop in self.dispatchers:
            await loop.dispatch.providers.aclose()

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
        event = branch_upserted(
            self.clock(), chain_id, state=state, timezone=timezone, window=window
        )
        async with self.pool.acquire() as conn:
            await self.handlers.on_branch_upserted(conn, event)
        return event.chain_id, event.branch

    async def open_order(
        self,
        *,
        phone: str = "+5511987654321",
        consent: bool = True,
        name: str = "MARIA DA SILVA",
        chain_and_branch: tuple[uuid.UUID, BranchSnapshot] | None = None,
    ) -> Order:
        chain_id, branch = chain_and_branch or await self.branch()
        event, order = order_opened(
            self.clock(), chain_id, branch, phone=phone, consent=consent, name=name
        )
        async with self.pool.acquire() as conn:
            await self.handlers.on_order_opened(conn, event)
        return order

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
        event = stage_entered(
            self.clock(),
            order,
            entry_sequence,
            template,
            promised=promised,
            stage_key=stage_key,
            sms_on_reentry=sms_on_reentry,
        )
        async with self.pool.acquire() as conn:
            await self.handlers.on_stage_changed(conn, event)

    async def close_order(self, order: Order) -> None:
        async with self.pool.acquire() as conn:
            await self.handlers.on_order_closed(conn, order_delivered(self.clock(), order))

    async def message(self, order: Order, entry_sequence: int = 1) -> dict[str, Any]:
        row = await self.pool.fetchrow(
            "SELECT * FROM messages WHERE order_id = $1 AND entry_sequence = $2",
            order.order_id,
            entry_sequence,
        )
        assert row is not None
        return dict(row)

    async def not_sent_reasons(self, *orders: Order) -> list[str | None]:
        """Each order's first message as staff list it: why it will not go out, or None."""
        reasons = []
        async with self.pool.acquire() as conn:
            for order in orders:
                query = MessageQuery(
                    chain_id=order.chain_id, branches=None, order_id=order.order_id
                )
                (listed,) = await PostgresMessages(conn).for_staff(query)
                reasons.append(listed.not_sent_reason)
        return reasons

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
async def world(
    notifier_database: asyncpg.Pool, fake_provider: FakeSmsProvider
) -> AsyncIterator[World]:
    await notifier_database.execute(
        "TRUNCATE messages, contacts, branches, order_progress, opt_outs, outbox"
    )
    fake_provider.reset()
    world = World(notifier_database, fake_provider)
    try:
        yield world
    finally:
        await world.close()


def window(
    starts: time, ends: time, weekdays: tuple[int, ...] = (0, 1, 2, 3, 4, 5)
) -> SendingWindow:
    return SendingWindow(starts_at=starts, ends_at=ends, weekdays=weekdays)
