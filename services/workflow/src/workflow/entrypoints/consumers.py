"""Workflow's message handlers: each event, in the consumer's transaction, to its use case.

The consumer claims the message in the inbox and calls the handler with that transaction's
connection; the handler binds the PostgreSQL stores to it and runs the use case, so the
effect and the inbox claim commit together. What the use cases do is in
``usecases.apply_order_event`` (openings, actions, lab statuses, in the order intake
accepted them) and ``usecases.record_message_status``.
"""

from __future__ import annotations

from collections.abc import Sequence

from etapa_contracts.events import (
    BranchUpserted,
    LabStatus,
    NotificationStatus,
    OrderAction,
    OrderOpened,
    UserUpserted,
)
from shared.database import Connection
from workflow.adapters.postgres.order_sequence import PostgresOrderSequence
from workflow.adapters.postgres.orders import PostgresOrderStore
from workflow.adapters.postgres.read_cache import ReadCaches
from workflow.adapters.postgres.stores import PostgresStores
from workflow.usecases.apply_order_event import OrderEvents
from workflow.usecases.order_engine import OrderEngine
from workflow.usecases.record_message_status import record_message_status


class WorkflowHandlers:
    def __init__(self, engine: OrderEngine, caches: ReadCaches | None = None) -> None:
        """``caches``: flow versions and branches, shared by every message of the process."""
        self._events = OrderEvents(engine)
        self._caches = caches or ReadCaches()

    async def on_user_upserted(self, conn: Connection, event: UserUpserted) -> None:
        """Keep the workflow's copy of a person (name, role, branches, active)."""
        await self._events.on_user_upserted(PostgresStores(conn, self._caches), event)

    async def on_branch_upserted(self, conn: Connection, event: BranchUpserted) -> None:
        """Keep the workflow's copy of a branch (its state, city and time zone)."""
        await self._events.on_branch_upserted(PostgresStores(conn, self._caches), event)

    async def on_order_opened(self, conn: Connection, event: OrderOpened) -> None:
        """Place a new order in the first stage of its service type's latest flow."""
        await self._events.on_order_opened(PostgresStores(conn, self._caches), event)

    async def on_order_action(self, conn: Connection, event: OrderAction) -> None:
        """A staff action: advance, back, pause, resume, assign, note, cancel, deliver, reopen."""
        await self._events.on_order_action(PostgresStores(conn, self._caches), event)

    async def on_lab_status(self, conn: Connection, event: LabStatus) -> None:
        """A lab's status: moves the order as its flow maps it, updates the lab forecast."""
        await self._events.on_lab_status(PostgresStores(conn, self._caches), event)

    async def prepare_orders(
        self, conn: Connection, events: Sequence[OrderOpened | OrderAction | LabStatus]
    ) -> None:
        """Before a batch of order events: their orders' locks, in the batch's order, in one
        statement (each handler's own lock then sends nothing); then, under the locks, the
        rows of the orders that actions and lab statuses will load, in one more."""
        await PostgresOrderSequence(conn).lock_all([e.order_id for e in events])
        existing = {(e.chain_id, e.order_id) for e in events if not isinstance(e, OrderOpened)}
        await PostgresOrderStore(conn, self._caches).read_ahead(sorted(existing, key=str))

    async def on_notification_status(self, conn: Connection, event: NotificationStatus) -> None:
        """Keep the customer message's status and show it on the order's timeline."""
        await record_message_status(PostgresStores(conn, self._caches), event)
