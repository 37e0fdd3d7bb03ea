"""The consumer wakes the dispatcher after committing stage changes only when one of them
recorded a message to send (``NotifierHandlers.register``): a stage without SMS, or a message
suppressed at once, wakes nothing."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, cast

from etapa_contracts.events import Event, OrderStageChanged
from notifier.entrypoints.consumers import NotifierHandlers
from shared.database import Connection
from shared.messaging import Subscriptions
from tests.fakes.notifier_kit import branch_upserted, order_opened, stage_entered
from tests.fakes.notifier_stores import FakeDatabase, FakeStores

NOW = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)


class RecordingSubscriptions:
    """What ``register`` subscribes, by event type, with its ``after_commit``."""

    def __init__(self) -> None:
        self.after_commit: dict[type[Event], Callable[[], None] | None] = {}

    def add(
        self,
        event_type: type[Event],
        handler: Callable[[Connection, Any], Awaitable[None]],
        *,
        after_commit: Callable[[], None] | None = None,
    ) -> None:
        self.after_commit[event_type] = after_commit


async def test_only_a_commit_that_recorded_a_message_to_send_wakes_the_dispatcher() -> None:
    database = FakeDatabase()
    ids = (uuid.uuid4() for _ in itertools.count())
    handlers = NotifierHandlers(lambda _conn: FakeStores(database), lambda: next(ids))
    subscriptions = RecordingSubscriptions()
    wakes: list[str] = []
    handlers.register(cast(Subscriptions, subscriptions), recorded=lambda: wakes.append("wake"))
    committed = subscriptions.after_commit[OrderStageChanged]
    assert committed is not None
    conn = cast(Connection, None)
    opened, order = order_opened(NOW, uuid.uuid4(), branch_upserted(NOW).branch)

    await handlers.on_stage_changed(conn, stage_entered(NOW, order, 1, template=None))
    committed()
    assert wakes == []  # a stage without SMS: nothing to send

    await handlers.on_stage_changed(conn, stage_entered(NOW, order, 2, template=None))
    await handlers.on_stage_changed(conn, stage_entered(NOW, order, 3, stage_key="pronto"))
    committed()
    assert wakes == ["wake"]  # a batch with a message to send: one wake after its commit
    committed()
    assert wakes == ["wake"]  # the next commit recorded nothing

    # the same stage entered again: its message is suppressed (already sent once), no wake
    await handlers.on_stage_changed(conn, stage_entered(NOW, order, 4, stage_key="pronto"))
    committed()
    assert wakes == ["wake"]
    assert subscriptions.after_commit[type(opened)] is not None  # an opening always wakes it
