"""The load driver's HTTP client: keep-alive HTTP/1.1 connections, responses parsed by
httptools (uvicorn's parser), no more.

Why: the driver shares the two cores with what it measures. On aiohttp it took 0.7–1.0 ms of
CPU per ``advance`` (building a URL, a request object, a JSON payload and a response object
each time), which Etapa and the raw pipeline over HTTP then lacked, while the plain raw
pipeline has no driver at all. Here a request is one ``bytes`` join and one socket write, and
an answer is its status: the driver reads nothing else.

Rules:
- At most ``limit`` requests in flight (as aiohttp's connector limit); each on a connection of
  its own, taken from the idle ones or opened, and given back when the answer allows
  keep-alive.
- A connection idle for ``idle_limit`` seconds (4) is closed, not reused: uvicorn by default
  closes a keep-alive connection idle for 5 s (the raw pipeline over HTTP's; Etapa's services
  keep one ``ETAPA_HTTP_KEEP_ALIVE_S``, 75 s), and a request written as its close arrives meets
  a reset
  (five advances in one step of 20 s at 240/s, 7 December), which the driver would count as
  failed while the server never saw it, and whose order's stages the driver would then count
  one ahead.
- An answer that does not come within ``timeout`` seconds, a connection closed or reset
  before its answer, or an answer that does not parse raises ``HttpFailure`` (the driver
  counts it as a failed advance); the connection is closed.
"""

from __future__ import annotations

import asyncio
import collections
import time
from typing import cast
from urllib.parse import urlsplit

import httptools


class HttpFailure(Exception):
    """No answer: a timeout, a connection lost or refused, or an answer that does not parse."""


class _Connection(asyncio.Protocol):
    """One keep-alive connection; one request at a time."""

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._answer: asyncio.Future[tuple[int, bool]] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def send(self, request: bytes) -> asyncio.Future[tuple[int, bool]]:
        """Write ``request``; the future gets the answer's status and whether to keep alive."""
        assert self._transport is not None
        self._answer = asyncio.get_running_loop().create_future()
        self._transport.write(request)
        return self._answer

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(HttpFailure(f"answer does not parse: {exc}"))
            self.close()

    def on_message_complete(self) -> None:  # httptools' callback
        answer, self._answer = self._answer, None
        if answer is not None and not answer.done():
            answer.set_result((self._parser.get_status_code(), self._parser.should_keep_alive()))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(HttpFailure(f"connection lost before the answer: {exc}"))

    def _fail(self, error: HttpFailure) -> None:
        answer, self._answer = self._answer, None
        if answer is not None and not answer.done():
            answer.set_exception(error)

    def close(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.close()


class LeanClient:
    """POSTs to one server (``base_url``: ``http://host:port``) over keep-alive connections."""

    def __init__(
        self, base_url: str, *, limit: int = 256, timeout: float = 60.0, idle_limit: float = 4.0
    ) -> None:
        url = urlsplit(base_url)
        if url.scheme != "http" or url.hostname is None:
            raise ValueError(f"an http://host:port address, not {base_url!r}")
        self._host = url.hostname
        self._port = url.port or 80
        self._host_header = f"Host: {url.netloc}\r\n".encode()
        self._slots = asyncio.Semaphore(limit)
        self._idle: collections.deque[tuple[_Connection, float]] = collections.deque()
        self._timeout = timeout
        self._idle_limit = idle_limit

    async def post(self, path: str, headers: dict[str, str], body: bytes) -> int:
        """The answer's status to ``POST path`` with ``headers`` and ``body`` (JSON)."""
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request = b"".join(
            (
                f"POST {path} HTTP/1.1\r\n".encode(),
                self._host_header,
                head.encode(),
                b"Content-Type: application/json\r\nContent-Length: ",
                str(len(body)).encode(),
                b"\r\n\r\n",
                body,
            )
        )
        async with self._slots:
            connection = await self._connection()
            try:
                async with asyncio.timeout(self._timeout):
                    status, keep_alive = await connection.send(request)
            except TimeoutError as exc:
                connection.close()
                raise HttpFailure(f"no answer in {self._timeout} s") from exc
            except BaseException:
                connection.close()
                raise
            if keep_alive and not connection.closed:
                self._idle.append((connection, time.monotonic()))
            else:
                connection.close()
            return status

    async def _connection(self) -> _Connection:
        while self._idle:
            connection, since = self._idle.pop()
            if connection.closed:
                continue
            if time.monotonic() - since < self._idle_limit:
                return connection
            connection.close()
        try:
            _, connection = await asyncio.get_running_loop().create_connection(
                _Connection, self._host, self._port
            )
        except OSError as exc:
            raise HttpFailure(f"cannot connect: {exc}") from exc
        return connection

    def close(self) -> None:
        while self._idle:
            self._idle.pop()[0].close()
