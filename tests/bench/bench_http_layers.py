"""What the layers around a handler cost per request: every service's app against Litestar alone
and a bare ASGI callable.

Run: ``make bench-http-layers``, or ``uv run python -m tests.bench.bench_http_layers`` with
``--requests N`` (5,000 by default). Needs nothing running: the requests are ASGI calls in this
process (no socket, no database), so what is measured is Python's work per request.

One handler shaped like intake's ``POST /api/v1/orders/{id}/actions`` (a path UUID, a pydantic
body, a pydantic answer, 202), called three ways in the same run, each after 200 warm-up calls:

1. **Etapa's app**: ``shared.web.create_service_app`` — correlation id, ``Allow``, JSON depth,
   Prometheus, bearer-token authentication (a real EdDSA token, verified once and then cached as
   in the services), the per-user rate limit, the problem handler — with the handler taking the
   ``principal``.
2. **Litestar alone**: the same handler without the principal, in ``Litestar()`` with no
   middleware.
3. **Raw baseline**: a bare ASGI callable that reads the body, parses the JSON and answers it.

Printed: CPU µs per request (``time.process_time``) for each, and the ratios. Nothing fails on
a slow figure.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import uvloop
from litestar import Litestar, post
from litestar.di import NamedDependency
from pydantic import BaseModel

from shared.auth import Principal, Role, TokenIssuer, generate_key_pair, principal_for
from shared.settings import ServiceSettings
from shared.web import create_service_app

Asgi = Callable[[Any, Any, Any], Awaitable[None]]
PATH = "/api/v1/orders/{order_id:uuid}/actions"
BODY = b'{"action": "advance"}'


class ActionIn(BaseModel):
    action: str


class ActionOut(BaseModel):
    order_id: uuid.UUID
    action: str


@post(PATH, status_code=202)
async def act(
    order_id: uuid.UUID, data: ActionIn, principal: NamedDependency[Principal]
) -> ActionOut:
    return ActionOut(order_id=order_id, action=data.action)


@post(PATH, status_code=202)
async def act_alone(order_id: uuid.UUID, data: ActionIn) -> ActionOut:
    return ActionOut(order_id=order_id, action=data.action)


async def bare(scope: dict[str, Any], receive: Any, send: Any) -> None:
    data = json.loads((await receive())["body"])
    answer = {"order_id": scope["path"].split("/")[4], "action": data["action"]}
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 202, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(answer).encode()})


def scope_for(order_id: str, token: str) -> dict[str, Any]:
    path = f"/api/v1/orders/{order_id}/actions"
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(BODY)).encode()),
            (b"authorization", f"Bearer {token}".encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def cpu_per_request(app: Asgi, requests: int, token: str) -> tuple[float, dict[int, int]]:
    """CPU µs per request over ``requests`` calls (after 200 unmeasured), and the statuses."""
    statuses: dict[int, int] = {}
    order_id = str(uuid.uuid4())

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": BODY, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses[message["status"]] = statuses.get(message["status"], 0) + 1

    for _ in range(200):
        await app(scope_for(order_id, token), receive, send)
    statuses.clear()
    started = time.process_time()
    for _ in range(requests):
        await app(scope_for(order_id, token), receive, send)
    return 1e6 * (time.process_time() - started) / requests, statuses


async def main(requests: int) -> None:
    private, public = generate_key_pair()
    token = TokenIssuer(private).issue(
        principal_for(uuid.uuid4(), Role.ATTENDANT, user_id=uuid.uuid4())
    )
    settings = ServiceSettings.from_env(
        "bench",
        8000,
        {"ETAPA_JWT_PUBLIC_KEY": public, "ETAPA_RATE_LIMIT_PER_MINUTE": str(requests * 10)},
    )
    apps: list[tuple[str, Asgi]] = [
        (
            "Etapa's app (every layer)",
            create_service_app(settings=settings, route_handlers=[act], checks={}),
        ),
        ("Litestar alone", Litestar(route_handlers=[act_alone], logging_config=None)),
        ("bare ASGI (raw)", bare),
    ]
    measured = {}
    for name, app in apps:
        micros, statuses = await cpu_per_request(app, requests, token)
        if statuses != {202: requests}:
            raise RuntimeError(f"{name} answered {statuses}, not 202 to every request")
        measured[name] = micros
        print(f"  {name:28s} {micros:7.1f} µs CPU per request")
    etapa, alone, raw = measured.values()
    print(
        f"Etapa's app {etapa / raw:.1f} x the bare callable, {etapa / alone:.1f} x Litestar alone;"
        f" the layers add {etapa - alone:.0f} µs per request"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    uvloop.run(main(parser.parse_args().requests))
