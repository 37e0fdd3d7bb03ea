"""The chaos suite's load client must outlast any fault: it never waits in httpx's connection
pool, where a timed-out wait can leak a connection for good (``tests/chaos/workload.py``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx

from tests.chaos.workload import Workload


@contextlib.asynccontextmanager
async def slow_server(delay: float) -> AsyncIterator[str]:
    """HTTP/1.1 on a free port: every answer ``delay`` s late, then the connection closed (so
    the pool opens a fresh connection for each request)."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            await reader.readuntil(b"\r\n\r\n")
            await asyncio.sleep(delay)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}/"


async def test_a_timed_out_wait_in_httpx_pool_can_leak_a_fresh_connection() -> None:
    """The hazard the workload avoids (httpcore 1.0.x): a request waiting in the pool is handed
    a fresh connection and, before it runs, its wait ends (cancelled here; a pool timeout
    expiring in the same loop iteration does the same). The connection stays, never connected,
    and holds its slot for ever: with every slot gone, every request is a ``PoolTimeout``."""
    async with slow_server(0.1) as url:
        client = httpx.AsyncClient(
            timeout=httpx.Timeout(5, pool=0.5), limits=httpx.Limits(max_connections=1)
        )
        async with client:
            async with client.stream("GET", url) as first:
                waiting = asyncio.create_task(client.get(url))
                await asyncio.sleep(0.05)  # queued in the pool behind ``first``
                await first.aread()
            # ``first`` closed: the pool made a fresh connection for ``waiting`` and woke it
            waiting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiting
            assert [c.info() for c in client._transport._pool.connections] == ["CONNECTING"]  # type: ignore[attr-defined]
            try:
                await client.get(url)
            except httpx.PoolTimeout:
                pass
            else:
                raise AssertionError("httpcore no longer leaks: the workload's guard may go")


async def test_the_workload_never_waits_in_the_pool_however_many_orders_wait() -> None:
    """Forty requests at once through two connections, with a pool timeout far shorter than an
    answer: a request that queued in the pool would time out there. None does; none leaks."""
    async with slow_server(0.1) as url:
        workload = Workload(
            url, url, deadline=30, seed=1, connections=2, timeout=httpx.Timeout(5, pool=0.01)
        )
        try:
            answers = await asyncio.gather(*(workload.request("GET", url) for _ in range(40)))
            assert [a.status_code for a in answers] == [200] * 40
            assert workload.transport_errors == {}
            pool = workload.http._transport._pool  # type: ignore[attr-defined]
            assert all(c.info() != "CONNECTING" for c in pool.connections)
        finally:
            await workload.close()
