"""What the order-engine tests share: publishing events, a spy queue, the workflow database.

Events are published by the test itself through the real broker (as intake would publish
order.action.v1 and lab.status.v1), so these tests depend on no other service's code.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import aio_pika
import asyncpg
import httpx

from etapa_contracts.events import (
    BranchSnapshot,
    CustomerSummary,
    Event,
    OrderAction,
    OrderActionKind,
    OrderOpened,
)
from etapa_contracts.topology import Topology
from shared.database import create_pool
from tests.integration.conftest import SeededChain
from tests.integration.harness import RunningServices, eventually
from workflow.adapters.postgres.stores import PostgresStores
from workflow.domain.calendar import DayCounting
from workflow.domain.flow import Stage
from workflow.usecases.save_flow_version import store_version

LAB_FLOW = (
    Stage("recebido", "Recebido", 1, DayCounting.BUSINESS),
    Stage("surfacagem", "Surfaçagem", 2, DayCounting.BUSINESS, lab_statuses=("surfacing",)),
    Stage("montagem", "Montagem", 1, DayCounting.BUSINESS, lab_statuses=("edging", "assembly")),
    Stage("pronto", "Pronto para retirada", 0, DayCounting.BUSINESS, pauses_clock=True),
)


def now() -> datetime:
    return datetime.now(UTC)


async def publish(services: RunningServices, event: Event) -> None:
    """Publish ``event`` on the run's exchange, confirmed and mandatory."""
    topology = Topology(prefix=services.env["ETAPA_TOPOLOGY_PREFIX"])
    connection = await aio_pika.connect(services.env["ETAPA_AMQP_URL"])
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(topology.events_exchange)
        await exchange.publish(
            aio_pika.Message(
                event.model_dump_json().encode(),
                message_id=str(event.message_id),
                content_type="application/json",
            ),
            routing_key=event.routing_key(),
            mandatory=True,
        )


def opened_event(
    chain: SeededChain,
    *,
    service_type: str = "teste",
    opened_at: datetime | None = None,
    promised_date: date | None = None,
    lab_code: str | None = None,
    customer: str = "Rita Lima",
) -> OrderOpened:
    branch = chain.branch
    at = opened_at or now()
    return OrderOpened(
        occurred_at=at,
        correlation_id="test-order-engine",
        chain_id=uuid.UUID(chain.chain_id),
        order_id=uuid.uuid4(),
        order_number=f"{branch['code']}-{uuid.uuid4().int % 10**6:06d}",
        branch=BranchSnapshot(
            branch_id=branch["branch_id"],
            code=branch["code"],
            name=branch["name"],
            state=branch["state"],
            city=branch["city"],
            timezone=branch["timezone"],
        ),
        service_type=service_type,
        customer=CustomerSummary(name=customer, phone="+5511987654321", sms_consent=True),
        promised_date=promised_date,
        lab_code=lab_code,
        opened_at=at,
    )


def action(
    opened: OrderOpened, kind: OrderActionKind, at: datetime | None = None, **fields: Any
) -> OrderAction:
    moment = at or now()
    return OrderAction(
        occurred_at=moment,
        correlation_id=f"test-{kind}",
        chain_id=opened.chain_id,
        order_id=opened.order_id,
        action=kind,
        actor="ana.atendente",
        requested_at=moment,
        **fields,
    )


async def detail(http: httpx.AsyncClient, services: RunningServices, order_id: Any) -> Any:
    response = await http.get(f"{services.urls['workflow']}/api/v1/orders/{order_id}")
    return response.json() if response.status_code == 200 else None


async def wait_for(
    http: httpx.AsyncClient, services: RunningServices, order_id: Any, check: Any
) -> Any:
    """The order's detail once ``check(detail)`` holds."""

    async def matching() -> Any:
        found = await detail(http, services, order_id)
        return found if found is not None and check(found) else None

    return await eventually(matching)


async def open_and_wait(
    services: RunningServices, http: httpx.AsyncClient, opened: OrderOpened
) -> Any:
    await publish(services, opened)
    return await wait_for(http, services, opened.order_id, lambda d: d["stage_key"])


@asynccontextmanager
async def workflow_pool(services: RunningServices) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(services.env["WORKFLOW_DATABASE_URL"])
    try:
        yield pool
    finally:
        await pool.close()


async def save_flow(services: RunningServices, chain: SeededChain, code: str) -> None:
    async with workflow_pool(services) as pool, pool.acquire() as conn, conn.transaction():
        await store_version(
            PostgresStores(conn),
            uuid.UUID(chain.chain_id),
            code,
            "Óculos com laboratório",
            LAB_FLOW,
            now=datetime.now(UTC),
        )


@dataclass
class Spy:
    """Every message on the given routing keys, as decoded JSON, in arrival order."""

    received: list[dict[str, Any]] = field(default_factory=list)

    def of(self, order_id: Any, routing_key: str | None = None) -> list[dict[str, Any]]:
        return [
            m
            for m in self.received
            if m["order_id"] == str(order_id)
            and (routing_key is None or m["_routing_key"] == routing_key)
        ]


@asynccontextmanager
async def spy(services: RunningServices, *routing_keys: str) -> AsyncIterator[Spy]:
    """A temporary queue bound to the events exchange: what the services publish."""
    topology = Topology(prefix=services.env["ETAPA_TOPOLOGY_PREFIX"])
    connection = await aio_pika.connect(services.env["ETAPA_AMQP_URL"])
    collected = Spy()
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(topology.events_exchange)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        for key in routing_keys:
            await queue.bind(exchange, routing_key=key)

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process():
                body = json.loads(message.body)
                body["_routing_key"] = message.routing_key
                collected.received.append(body)

        await queue.consume(on_message)
        yield collected
        await asyncio.sleep(0)
