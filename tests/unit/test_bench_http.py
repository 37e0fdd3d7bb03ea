"""The load driver's HTTP client (``tests.bench.e2e_http``) against a real socket server:
statuses, keep-alive, a server that closes, one that never answers, none at all, and an
answer that does not parse."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from tests.bench.e2e_http import HttpFailure, LeanClient

Answer = Callable[[bytes], Awaitable[bytes | None]]
"""What the server writes for a request's bytes (None: nothing, ever)."""


class Server:
    """A socket server on a free port that reads one request at a time and answers it."""

    def __init__(self, answer: Answer) -> None:
        self._answer = answer
        self.connections = 0
        self.requests: list[bytes] = []
        self.url = ""

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                answer = await self._answer(request)
                if answer is None:
                    await asyncio.sleep(3600)
                    return
                writer.write(answer)
                await writer.drain()
                if b"Connection: close" in answer:
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Server]:
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        async with server:
            yield self
            server.close()


def answer_with(status: int, *extra: bytes) -> Answer:
    async def answer(_: bytes) -> bytes:
        body = b'{"ok": true}'
        head = b"".join(extra)
        return (
            f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\n".encode()
            + head
            + b"\r\n"
            + body
        )

    return answer


async def test_a_post_gets_its_status_and_keeps_its_connection() -> None:
    async with Server(answer_with(202)).running() as server:
        client = LeanClient(server.url)
        statuses = [
            await client.post("/api/v1/orders/1/actions", {"X-Bench-Sent-At": "1.5"}, b"{}")
            for _ in range(3)
        ]
        client.close()
    assert statuses == [202, 202, 202]
    assert server.connections == 1  # kept alive
    first = server.requests[0]
    assert first.startswith(b"POST /api/v1/orders/1/actions HTTP/1.1\r\n")
    assert b"\r\nX-Bench-Sent-At: 1.5\r\n" in first
    assert b"\r\nContent-Type: application/json\r\n" in first
    assert first.endswith(b"\r\n\r\n{}")


async def test_concurrent_posts_take_connections_of_their_own() -> None:
    async def slow(request: bytes) -> bytes | None:
        await asyncio.sleep(0.05)
        return await answer_with(400)(request)

    async with Server(slow).running() as server:
        client = LeanClient(server.url, limit=3)
        statuses = await asyncio.gather(*(client.post("/x", {}, b"{}") for _ in range(6)))
        client.close()
    assert statuses == [400] * 6
    assert server.connections == 3  # the limit, each used twice


async def test_a_connection_the_server_closes_is_not_used_again() -> None:
    async with Server(answer_with(201, b"Connection: close\r\n")).running() as server:
        client = LeanClient(server.url)
        assert await client.post("/x", {}, b"{}") == 201
        assert await client.post("/x", {}, b"{}") == 201
        client.close()
    assert server.connections == 2


async def test_a_connection_idle_past_the_limit_is_not_used_again() -> None:
    # the limit stays under the server's keep-alive timeout: a request is never written as
    # the server closes the connection (uvicorn's 5 s; the driver's 4 s)
    async with Server(answer_with(202)).running() as server:
        client = LeanClient(server.url, idle_limit=0.05)
        assert await client.post("/x", {}, b"{}") == 202
        assert await client.post("/x", {}, b"{}") == 202  # at once: the same connection
        await asyncio.sleep(0.1)
        assert await client.post("/x", {}, b"{}") == 202  # idle too long: a new one
        client.close()
    assert server.connections == 2


async def test_no_answer_in_time_is_a_failure() -> None:
    async def never(_: bytes) -> None:
        return None

    async with Server(never).running() as server:
        client = LeanClient(server.url, timeout=0.2)
        with pytest.raises(HttpFailure, match="no answer"):
            await client.post("/x", {}, b"{}")
        client.close()


async def test_an_answer_that_does_not_parse_is_a_failure() -> None:
    async def garbage(_: bytes) -> bytes:
        return b"this is not HTTP\r\n\r\n"

    async with Server(garbage).running() as server:
        client = LeanClient(server.url)
        with pytest.raises(HttpFailure, match="does not parse"):
            await client.post("/x", {}, b"{}")
        client.close()


async def test_nothing_listening_is_a_failure() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    client = LeanClient(f"http://127.0.0.1:{port}")
    with pytest.raises(HttpFailure, match="cannot connect"):
        await client.post("/x", {}, b"{}")


def test_only_an_http_address() -> None:
    with pytest.raises(ValueError, match="http://host:port"):
        LeanClient("https://127.0.0.1:8000")
