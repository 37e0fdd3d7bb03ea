"""Round trips to PostgreSQL per SMS at the notifier's dispatcher, counted on a real database.

The dispatcher runs as the service runs it, on ``PostgresStores``; a unit of work around the
pooled connections counts every statement the adapters send (BEGIN and COMMIT are the
transaction's own, counted apart). The bound is the count of this code: a change that adds a
round trip to a sent SMS fails here and has to say so.
"""

from __future__ import annotations

from typing import cast

from notifier.adapters.postgres.stores import PostgresStores
from notifier.usecases.ports import Stores
from tests.contract.notifier_stores import COMMITTED
from tests.counting_connection import CountingScopes
from tests.fakes.notifier_kit import Notifier
from tests.fakes.notifier_stores import FakeUnitOfWork


class CountingUnitOfWork(CountingScopes[Stores]):
    """``PostgresUnitOfWork``, with every statement of its connections counted."""

    __call__ = CountingScopes.begin


async def test_a_sent_sms_is_two_statements_and_no_transaction() -> None:
    """The claim (the due message leased and read with its contact, branch and opt-outs) and
    the outcome (the message ``sent`` and its ``notification.status.v1`` in the outbox): one
    statement each, no BEGIN or COMMIT. (Two transactions of two and one statements, eight
    round trips, until the evening of 3 December.)"""
    pool = await COMMITTED.pool()
    uow = CountingUnitOfWork(pool, PostgresStores)
    kit = Notifier(uow=cast(FakeUnitOfWork, uow))  # the kit's steps, on PostgreSQL
    order = await kit.open_order()
    await kit.enter_stage(order)
    uow.transactions, uow.statements = 0, []

    assert await kit.dispatcher().dispatch_once() == 1

    # no relay runs in this process: ``outbox.stored`` sends a NOTIFY where the service's
    # relay is woken in memory
    sent = [s for s in uow.statements if not s.startswith("NOTIFY")]
    assert (uow.transactions, len(sent)) == (0, 2), uow.statements
    assert [sms.idempotency_key for sms in kit.provider.sent] == [f"{order.order_id}:1"]
    status = await pool.fetchval("SELECT status FROM messages WHERE order_id = $1", order.order_id)
    published = await pool.fetch(
        "SELECT payload FROM outbox WHERE routing_key = 'notification.status.v1' "
        "AND payload->>'order_id' = $1",
        str(order.order_id),
    )
    assert status == "sent"
    assert [row["payload"]["status"] for row in published] == ["sent"]
