"""The raw pipeline of ``bench_e2e``: Etapa's hops written with plain aio-pika and asyncpg.

Three processes, as the services are three, each with a database of its own on the same
PostgreSQL and quorum queues on the same RabbitMQ, with the same durability as the services:

- ``accept`` (intake without HTTP): open-loop at the schedule's rates, one transaction per
  action (the action row and its outbox row), then a confirmed persistent publish, then the
  outbox row marked published;
- ``advance`` (workflow): consume ``raw.actions`` (prefetch ``--prefetch``, 1 like the services),
  one transaction with the inbox insert, the order's stage update and the outbox row, a confirmed
  publish of the change, the outbox row marked, then the ack;
- ``notify`` (notifier): consume ``raw.changes``, one transaction with the inbox insert and,
  for an SMS stage, the message row, then the ack; the committed message is then sent at once
  (up to 20 in flight, as the notifier's dispatcher): the POST to the fake provider, the
  message marked ``sent``. (No poller for messages a crash left unsent: no crash here.)

- ``accept-http`` (``bench_e2e --raw-http``): ``accept`` behind HTTP, for the bench's own load
  driver: a bare ASGI app under uvicorn (the server, event loop and HTTP parser Etapa's
  services run on, with no framework, authentication or validation beyond reading the order
  id), ``POST /api/v1/orders/{id}/actions`` → the same transaction, the answer 202, then the
  confirmed publish and the outbox row marked. It measures what the HTTP hop itself costs.

Run by ``bench_e2e`` as ``python -m tests.bench.raw_pipeline ROLE --database URL ...``; each
prints ``ready`` on stdout once its queues and tables exist (``accept``: ``ready <t>``, its
schedule's start as ``time.time()``, a second later).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from typing import Any

import aio_pika
import aiohttp
import asyncpg
import uvicorn

from shared.database import ensure_database

SCHEMA = """
CREATE TABLE IF NOT EXISTS actions (action_id uuid PRIMARY KEY, order_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS outbox (id bigserial PRIMARY KEY, message_id uuid NOT NULL UNIQUE,
    payload jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz);
CREATE TABLE IF NOT EXISTS inbox (consumer text NOT NULL, message_id uuid NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (consumer, message_id));
CREATE TABLE IF NOT EXISTS orders (order_id uuid PRIMARY KEY, position integer NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS messages (message_id uuid PRIMARY KEY, order_id uuid NOT NULL,
    position integer NOT NULL, status text NOT NULL DEFAULT 'pending', provider_id text);
"""


def schedule_of(text: str) -> list[tuple[float, float]]:
    """``"25:20,50:20"`` → [(rate per second, seconds), …]."""
    return [(float(r), float(s)) for r, s in (part.split(":") for part in text.split(","))]


def queue_names(prefix: str) -> tuple[str, str]:
    return f"{prefix}raw.actions", f"{prefix}raw.changes"


async def open_pool(url: str) -> asyncpg.Pool:
    await ensure_database(url)
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(SCHEMA)
    finally:
        await conn.close()
    pool: asyncpg.Pool = await asyncpg.create_pool(url, min_size=1, max_size=10)
    return pool


async def declare(channel: aio_pika.abc.AbstractChannel, name: str) -> aio_pika.abc.AbstractQueue:
    return await channel.declare_queue(name, durable=True, arguments={"x-queue-type": "quorum"})


async def publish(
    channel: aio_pika.abc.AbstractChannel, queue: str, payload: dict[str, Any]
) -> None:
    await channel.default_exchange.publish(
        aio_pika.Message(
            json.dumps(payload).encode(),
            message_id=payload["message_id"],
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        ),
        routing_key=queue,
        mandatory=True,
        timeout=10,
    )


async def accept(args: argparse.Namespace) -> None:
    pool = await open_pool(args.database)
    connection = await aio_pika.connect_robust(args.amqp)
    channel = await connection.channel(publisher_confirms=True)
    actions, _ = queue_names(args.prefix)
    await declare(channel, actions)
    orders = [uuid.uuid4() for _ in range(args.orders)]
    start = time.time() + 1.0
    print(f"ready {start}", flush=True)  # the schedule starts a second after it is set up

    async def one(index: int, sent_at: float) -> None:
        message_id, order_id = uuid.uuid4(), orders[index]
        payload = {
            "message_id": str(message_id),
            "order_id": str(order_id),
            "start": index % args.sms_every,  # as bench_e2e staggers the services' orders
            "sent_at": sent_at,
        }
        async with pool.acquire() as conn:
            async with conn.transaction():
                await conn.execute(
                    "INSERT INTO actions (action_id, order_id) VALUES ($1, $2)",
                    message_id,
                    order_id,
                )
                row_id = await conn.fetchval(
                    "INSERT INTO outbox (message_id, payload) VALUES ($1, $2) RETURNING id",
                    message_id,
                    json.dumps(payload),
                )
            await publish(channel, actions, payload)
            await conn.execute("UPDATE outbox SET published_at = now() WHERE id = $1", row_id)

    tasks: set[asyncio.Task[None]] = set()
    count = 0
    for rate, seconds in schedule_of(args.schedule):
        for n in range(round(rate * seconds)):
            at = start + n / rate
            delay = at - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one(count % len(orders), at))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            count += 1
        start += seconds
    while tasks:
        await asyncio.gather(*list(tasks), return_exceptions=True)
    await connection.close()
    await pool.close()


def accept_http(args: argparse.Namespace) -> None:
    """``accept`` answering HTTP: uvicorn (uvloop, httptools) and a bare ASGI app."""
    actions, _ = queue_names(args.prefix)
    held: dict[str, Any] = {}
    starts: dict[str, int] = {}

    async def startup() -> None:
        held["pool"] = await open_pool(args.database)
        held["connection"] = await aio_pika.connect_robust(args.amqp)
        held["channel"] = await held["connection"].channel(publisher_confirms=True)
        await declare(held["channel"], actions)

    async def answer(send: Any, status: int, body: bytes) -> None:
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (event := await receive())["type"] != "lifespan.shutdown":
                await startup()
                await send({"type": "lifespan.startup.complete"})
            await held["connection"].close()
            await held["pool"].close()
            await send({"type": "lifespan.shutdown.complete"})
            return
        body, more = b"", True
        while more:
            event = await receive()
            body, more = body + event.get("body", b""), event.get("more_body", False)
        parts = scope["path"].strip("/").split("/")  # api v1 orders <id> actions
        if scope["method"] != "POST" or len(parts) != 5 or parts[4] != "actions":
            await answer(send, 404 if scope["path"] != "/health" else 200, b"{}")
            return
        try:
            order_id = str(uuid.UUID(parts[3]))
            json.loads(body)  # read, as any endpoint reads its body
        except ValueError as exc:  # a bad id or body: refused, nothing written
            await answer(send, 400, json.dumps({"detail": str(exc)}).encode())
            return
        sent_at = dict(scope["headers"]).get(b"x-bench-sent-at")
        message_id = uuid.uuid4()
        payload = {
            "message_id": str(message_id),
            "order_id": order_id,
            "start": starts.setdefault(order_id, len(starts) % args.sms_every),
            "sent_at": float(sent_at) if sent_at else time.time(),
        }
        async with held["pool"].acquire() as conn:
            async with conn.transaction():
                await conn.execute(
                    "INSERT INTO actions (action_id, order_id) VALUES ($1, $2)",
                    message_id,
                    uuid.UUID(order_id),
                )
                row_id = await conn.fetchval(
                    "INSERT INTO outbox (message_id, payload) VALUES ($1, $2) RETURNING id",
                    message_id,
                    json.dumps(payload),
                )
            await answer(send, 202, json.dumps({"action_id": str(message_id)}).encode())
            await publish(held["channel"], actions, payload)
            await conn.execute("UPDATE outbox SET published_at = now() WHERE id = $1", row_id)

    uvicorn.run(app, host="127.0.0.1", port=args.port, access_log=False, log_level="warning")


async def advance(args: argparse.Namespace) -> None:
    pool = await open_pool(args.database)
    connection = await aio_pika.connect_robust(args.amqp)
    channel = await connection.channel(publisher_confirms=True)
    await channel.set_qos(prefetch_count=args.prefetch)
    actions, changes = queue_names(args.prefix)
    source = await declare(channel, actions)
    await declare(channel, changes)

    async def handle(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        body = json.loads(message.body)
        message_id = uuid.UUID(body["message_id"])
        async with pool.acquire() as conn:
            async with conn.transaction():
                fresh = await conn.fetchval(
                    "INSERT INTO inbox (consumer, message_id) VALUES ('advance', $1)"
                    " ON CONFLICT DO NOTHING RETURNING true",
                    message_id,
                )
                if not fresh:
                    await message.ack()
                    return
                position = await conn.fetchval(
                    "INSERT INTO orders (order_id, position) VALUES ($1, $2 + 1)"
                    " ON CONFLICT (order_id)"
                    " DO UPDATE SET position = orders.position + 1, updated_at = now()"
                    " RETURNING position",
                    uuid.UUID(body["order_id"]),
                    body["start"],
                )
                change = {
                    "message_id": str(uuid.uuid4()),
                    "order_id": body["order_id"],
                    "position": position,
                    "sent_at": body["sent_at"],
                }
                row_id = await conn.fetchval(
                    "INSERT INTO outbox (message_id, payload) VALUES ($1, $2) RETURNING id",
                    uuid.UUID(change["message_id"]),
                    json.dumps(change),
                )
            await publish(channel, changes, change)
            await conn.execute("UPDATE outbox SET published_at = now() WHERE id = $1", row_id)
        await message.ack()

    await source.consume(handle)
    print("ready", flush=True)
    await asyncio.Future()


async def notify(args: argparse.Namespace) -> None:
    pool = await open_pool(args.database)
    connection = await aio_pika.connect_robust(args.amqp)
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=args.prefetch)
    _, changes = queue_names(args.prefix)
    source = await declare(channel, changes)
    # aiohttp, as the notifier's providers (httpx cost 4-8 times the CPU per POST: README)
    client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))

    sending = asyncio.Semaphore(20)  # like the notifier's NOTIFIER_BATCH_SIZE sends in flight
    tasks: set[asyncio.Task[None]] = set()

    async def send(message_id: uuid.UUID, body: dict[str, Any]) -> None:
        key = str(message_id)
        async with sending:
            async with client.post(
                f"{args.fake}/sms",
                headers={"Idempotency-Key": key},
                json={
                    "to": "+5511987654321",
                    "body": f"{args.tag} {body['sent_at']} {body['order_id']} {body['position']}",
                    "idempotency_key": key,
                },
                raise_for_status=True,
            ) as response:
                answer = await response.json()
            async with pool.acquire() as conn:
                await conn.execute(
                    "UPDATE messages SET status = 'sent', provider_id = $2 WHERE message_id = $1",
                    message_id,
                    answer["id"],
                )

    async def handle(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        body = json.loads(message.body)
        message_id = uuid.UUID(body["message_id"])
        sms = body["position"] % args.sms_every == 0
        async with pool.acquire() as conn, conn.transaction():
            fresh = await conn.fetchval(
                "INSERT INTO inbox (consumer, message_id) VALUES ('notify', $1)"
                " ON CONFLICT DO NOTHING RETURNING true",
                message_id,
            )
            if fresh and sms:
                await conn.execute(
                    "INSERT INTO messages (message_id, order_id, position) VALUES ($1, $2, $3)",
                    message_id,
                    uuid.UUID(body["order_id"]),
                    body["position"],
                )
        await message.ack()
        if fresh and sms:  # the message row is committed: sent right away, beside the consumer
            task = asyncio.create_task(send(message_id, body))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    await source.consume(handle)
    print("ready", flush=True)
    await asyncio.Future()


ROLES = {"accept": accept, "advance": advance, "notify": notify}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("role", choices=[*sorted(ROLES), "accept-http"])
    parser.add_argument("--database", required=True)
    parser.add_argument("--amqp", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--prefetch", type=int, default=1)
    parser.add_argument("--fake", default="")
    parser.add_argument("--sms-every", type=int, default=4)
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--schedule", default="")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tag", default="raw", help="the SMS texts' first word (notify)")
    args = parser.parse_args()
    try:
        if args.role == "accept-http":
            accept_http(args)
            return
        asyncio.run(ROLES[args.role](args))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
