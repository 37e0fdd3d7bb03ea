"""How long a service keeps an idle keep-alive connection (``ETAPA_HTTP_KEEP_ALIVE_S``), on a
real uvicorn server given ``server_options`` as ``serve`` gives them, over a real socket.

Why it matters: a client that writes a request on a connection the server is closing meets a
reset, and a POST is not asked again. So the server must keep an idle connection longer than
its clients do (the console's httpx keeps one 5 s, uvicorn's own default)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import uvicorn

from shared.service_main import server_options
from shared.settings import ServiceSettings

REQUEST = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"


async def ok(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    headers = [(b"content-length", b"2")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"ok"})


@contextlib.asynccontextmanager
async def serving(env: dict[str, str]) -> AsyncIterator[int]:
    """A uvicorn server with ``server_options`` of the settings ``env`` gives, on a socket bound
    here (a connection waits in its backlog until the server accepts it)."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    port = int(listening.getsockname()[1])
    settings = ServiceSettings.from_env("intake", port, env)
    config = uvicorn.Config(ok, log_config=None, lifespan="off", **server_options(settings))
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        yield port
    finally:
        server.should_exit = True
        await task
        listening.close()


async def answered_after_idle(port: int, idle: float) -> bool:
    """Whether a second request, written after ``idle`` seconds on the connection of the
    first, is answered."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(REQUEST)
        assert (await reader.readuntil(b"ok")).startswith(b"HTTP/1.1 200")
        await asyncio.sleep(idle)
        writer.write(REQUEST)
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            return (await reader.readuntil(b"ok")).startswith(b"HTTP/1.1 200")
        return False
    finally:
        writer.close()


async def test_an_idle_connection_stays_open_for_the_setting() -> None:
    async with serving({"ETAPA_HTTP_KEEP_ALIVE_S": "3"}) as port:
        assert await answered_after_idle(port, 1.5)
    async with serving({"ETAPA_HTTP_KEEP_ALIVE_S": "1"}) as port:
        assert not await answered_after_idle(port, 1.5)


def test_the_default_outlasts_what_the_console_keeps_idle() -> None:
    default = ServiceSettings.from_env("intake", 8000, {}).http_keep_alive_s
    assert default == 75
    assert default > httpx.Limits().keepalive_expiry  # type: ignore[operator]
    assert default > 60  # an nginx upstream's keepalive_timeout, a cloud balancer's idle time
