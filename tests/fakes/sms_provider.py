"""A fake SMS provider over real HTTP, for tests and benchmarks: one ASGI app under uvicorn.

It answers the three request shapes the notifier sends — the generic ``http`` webhook
(``POST /sms``), Zenvia (``POST /v2/channels/sms/messages``) and Twilio
(``POST /2010-04-01/Accounts/{sid}/Messages.json``) — and records every request (path,
headers, parsed body). Like real providers it drops a repeated idempotency key: the second
request with a key gets the first one's id and is not a new delivery, so a test counts
distinct deliveries and sees every request too.

Knobs: ``latency`` (seconds per request), ``fail_next(n, status)`` (the next n requests
answer ``status``), ``refuse_numbers`` (a 400 "invalid number" for these recipients),
``lose_responses(numbers, seconds)`` (the requests with these arrival numbers, from 0, are
accepted — the delivery is recorded — and their answer is held ``seconds``: a lost response,
as the client sees it when its deadline is shorter); ``lose_every(n, seconds)`` and
``fail_every(n, status)`` do the same for every n-th request from then on (the chaos suite).

Lookups, as the notifier's reconciliation asks them (recorded in ``lookups``, never in
``requests``): ``GET /sms?idempotency_key=<key>`` (the ``http`` contract: 200 ``{"id"}`` for a
key it took, 404 otherwise) and ``GET /2010-04-01/Accounts/{sid}/Messages.json?To=&PageSize=``
(Twilio's list: the messages it took to that number, newest first, in Twilio's shape).
``fail_lookups(n, status)``: the next n lookups answer ``status``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl

import uvicorn

from tests.integration.harness import free_port

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    key: str | None
    to: str | None
    text: str | None
    status: int
    at: float = field(default_factory=time.time)
    """When the request arrived (``time.time()``): benchmarks time action → SMS with it."""


@dataclass
class FakeSmsProvider:
    latency: float = 0.0
    refuse_numbers: set[str] = field(default_factory=set)
    requests: list[Recorded] = field(default_factory=list)
    deliveries: dict[str, str] = field(default_factory=dict)
    """Idempotency key (or a fresh one for providers without keys) -> provider message id."""
    lookups: list[Recorded] = field(default_factory=list)
    taken: list[dict[str, Any]] = field(default_factory=list)
    """Every message it took (Twilio's fields: sid, to, from, body, date_created…), oldest
    first: what Twilio's list answers from."""
    arrived: int = 0
    """Requests that reached it, answered or still waiting out ``latency``."""
    before_answer: Callable[[str], Awaitable[object]] | None = None
    """Awaited with the message id once a message is taken, before the answer: a delivery
    report that reaches the notifier before the provider's answer does."""
    _failures: list[int] = field(default_factory=list)
    _lookup_failures: list[int] = field(default_factory=list)
    _lost: set[int] = field(default_factory=set)
    _lost_for: float = 0.0
    _lose_every: int = 0
    _fail_every: tuple[int, int] = (0, 500)
    _arrivals: itertools.count[int] = field(default_factory=itertools.count)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, count: int, status: int = 503) -> None:
        self._failures.extend([status] * count)

    def fail_lookups(self, count: int, status: int = 503) -> None:
        self._lookup_failures.extend([status] * count)

    def lose_responses(self, numbers: set[int], seconds: float) -> None:
        self._lost, self._lost_for = set(numbers), seconds

    def lose_every(self, n: int, seconds: float) -> None:
        """From now on every ``n``-th request is accepted and its answer held ``seconds``
        (0 stops it)."""
        self._lose_every, self._lost_for = n, seconds

    def fail_every(self, n: int, status: int = 500) -> None:
        """From now on every ``n``-th request answers ``status`` and delivers nothing (0 stops)."""
        self._fail_every = (n, status)

    def reset(self) -> None:
        self._lost.clear()
        self._arrivals = itertools.count()
        self.arrived = 0
        self.requests.clear()
        self.deliveries.clear()
        self.lookups.clear()
        self.taken.clear()
        self._failures.clear()
        self._lookup_failures.clear()
        self.refuse_numbers.clear()
        self.latency = 0.0
        self.before_answer = None

    def delivered_keys(self) -> list[str]:
        return [r.key for r in self.requests if r.key is not None and r.status == 200]

    async def start(self) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            self,
            host="127.0.0.1",
            port=self.port,
            log_config=None,
            lifespan="off",
            access_log=False,
            backlog=4096,
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        for _ in range(500):
            if self._server.started:
                return
            await asyncio.sleep(0.02)
        raise TimeoutError("the fake SMS provider did not start")

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        if scope["method"] == "GET":
            query = dict(parse_qsl(scope["query_string"].decode()))
            status, answer = self._look_up(scope["path"], headers, query)
            await self._respond(send, status, answer)
            return
        if headers.get("content-type", "").startswith("application/json"):
            body: dict[str, Any] = json.loads(raw or b"{}")
        else:
            body = dict(parse_qsl(raw.decode()))
        status, answer = await self._answer(scope["path"], headers, body)
        await self._respond(send, status, answer)

    async def _respond(self, send: Send, status: int, answer: dict[str, Any]) -> None:
        payload = json.dumps(answer).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    async def _answer(
        self, path: str, headers: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        arrival = next(self._arrivals)
        self.arrived += 1
        if self.latency:
            await asyncio.sleep(self.latency)
        key = headers.get("idempotency-key") or body.get("idempotency_key")
        to = body.get("to") or body.get("To")
        text = body.get("body") or body.get("Body")
        if text is None and isinstance(body.get("contents"), list) and body["contents"]:
            text = body["contents"][0].get("text")
        record = Recorded(path, headers, body, key, to, text, 200)
        self.requests.append(record)
        every, failing = self._fail_every
        if self._failures or (every and arrival % every == every - 1):
            record.status = self._failures.pop(0) if self._failures else failing
            return record.status, {"error": "indisponível"}
        if to in self.refuse_numbers or (to and "+" + str(to) in self.refuse_numbers):
            record.status = 400
            return 400, {"code": "INVALID_NUMBER", "message": f"número inválido: {to}"}
        dedupe = key if key is not None else f"no-key-{next(self._ids)}"
        if dedupe not in self.deliveries:
            self.deliveries[dedupe] = f"fake-{next(self._ids)}"
            self.taken.append(
                {
                    "sid": self.deliveries[dedupe],
                    "key": key,
                    "to": to if str(to).startswith("+") else f"+{to}",
                    "from": body.get("From") or body.get("from"),
                    "body": text,
                    "direction": "outbound-api",
                    "status": "queued",
                    "date_created": format_datetime(datetime.now(UTC), usegmt=True),
                    "date_sent": None,
                }
            )
        message_id = self.deliveries[dedupe]
        if self.before_answer is not None:
            await self.before_answer(message_id)
        if arrival in self._lost or (self._lose_every and arrival % self._lose_every == 0):
            await asyncio.sleep(self._lost_for)
        if path.endswith("/Messages.json"):
            return 201, {"sid": message_id, "status": "queued"}
        return 200, {"id": message_id}

    def _look_up(
        self, path: str, headers: dict[str, str], query: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        record = Recorded(
            path, headers, query, query.get("idempotency_key"), query.get("To"), None, 200
        )
        self.lookups.append(record)
        if self._lookup_failures:
            record.status = self._lookup_failures.pop(0)
            return record.status, {"error": "indisponível"}
        if path.endswith("/Messages.json"):
            size = int(query.get("PageSize", "50"))
            listed = [
                {k: v for k, v in m.items() if k != "key"}
                for m in reversed(self.taken)
                if m["to"] == query.get("To")
            ][:size]
            return 200, {"messages": listed, "page": 0, "page_size": size, "next_page_uri": None}
        key = query.get("idempotency_key")
        if key is not None and key in self.deliveries:
            return 200, {"id": self.deliveries[key]}
        record.status = 404
        return 404, {"code": "NOT_FOUND", "message": "mensagem não encontrada"}
