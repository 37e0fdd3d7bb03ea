"""The notifier's message handlers: each event to its use case, on the inbox's transaction.

``shared.messaging`` claims the event's ``message_id`` in the notifier's inbox and calls the
handler in that same transaction, so the effect and the claim commit together (a redelivered
event finds the claim and does nothing). A handler builds the stores on that connection and
hands them to the use case.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from etapa_contracts.events import BranchUpserted, OrderClosed, OrderOpened, OrderStageChanged
from notifier.usecases.close_order import close_order
from notifier.usecases.keep_branch import keep_branch
from notifier.usecases.keep_contact import keep_contact
from notifier.usecases.ports import Stores
from notifier.usecases.record_notification import record_notification
from shared.database import Connection
from shared.messaging import Subscriptions
from shared.tracing import context_headers

StoresOn = Callable[[Connection], Stores]


class NotifierHandlers:
    def __init__(self, stores_on: StoresOn, new_id: Callable[[], UUID]) -> None:
        self._stores_on = stores_on
        self._new_id = new_id
        self._recorded_to_send = False
        """A stage change of the batch being applied recorded a message to send."""

    async def on_order_opened(self, conn: Connection, event: OrderOpened) -> None:
        """Keep the customer's contact and consent (the notifier's own copy)."""
        await keep_contact(self._stores_on(conn), event)

    async def on_stage_changed(self, conn: Connection, event: OrderStageChanged) -> None:
        """Note the order's latest stage entry; record the stage's message, once per entry."""
        if await record_notification(
            self._stores_on(conn), event, self._new_id, trace_context=context_headers()
        ):
            self._recorded_to_send = True

    async def on_branch_upserted(self, conn: Connection, event: BranchUpserted) -> None:
        """Keep the notifier's copy of a branch: time zone, state and sending window."""
        await keep_branch(self._stores_on(conn), event)

    async def on_order_closed(self, conn: Connection, event: OrderClosed) -> None:
        """Note that the order closed: a message still held for it will not go out."""
        await close_order(self._stores_on(conn), event)

    def register(
        self, subscriptions: Subscriptions, recorded: Callable[[], None] | None = None
    ) -> None:
        """``recorded`` is called once stage changes that recorded a message to send, or an
        opening (the contact a message may wait for), have committed: it wakes the dispatcher
        (push, not poll). Three stage changes in four record nothing to send (no SMS at that
        stage): waking the dispatcher for them was a claim that found nothing."""
        subscriptions.add(OrderOpened, self.on_order_opened, after_commit=recorded)
        subscriptions.add(
            OrderStageChanged,
            self.on_stage_changed,
            after_commit=None if recorded is None else self._when_recorded(recorded),
        )
        subscriptions.add(BranchUpserted, self.on_branch_upserted)
        subscriptions.add(OrderClosed, self.on_order_closed)

    def _when_recorded(self, recorded: Callable[[], None]) -> Callable[[], None]:
        """``recorded`` after a commit of stage changes that recorded a message to send (one
        queue's batches are applied one at a time, so the flag is that commit's; a batch
        rolled back leaves it set, and the next commit wakes the dispatcher once more)."""

        def after_commit() -> None:
            if self._recorded_to_send:
                self._recorded_to_send = False
                recorded()

        return after_commit
