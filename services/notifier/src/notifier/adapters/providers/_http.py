"""What the HTTP providers share: one client each, and one reading of HTTP outcomes.

- 2xx: accepted.
- 408, 429, 5xx, 401 and 403 (credentials: a setting to fix, not the message's fault), or a
  connection that could not be made: transient.
- A request sent with no answer (read timeout, connection dropped): ambiguous, the SMS may
  have gone out.
- Any other 4xx (invalid number, rejected body): permanent, with the provider's own words.

Lookups (``get``) read the answer as it comes: the status and the JSON body; a request that
fails (connection, timeout) raises, and the dispatcher takes that as "could not tell".

The client is aiohttp's, not httpx's (issue 16): a POST to the benchmark's fake provider cost
0.79-1.02 ms of CPU with httpx and 0.13-0.25 ms with aiohttp (docs/throughput-journal.md,
"SMS requests on aiohttp"). ``timeout`` bounds the connection (waiting for a free one
included) and each wait for the answer's bytes, as httpx's did; the dispatcher's deadline
bounds the whole request.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from notifier.usecases.ports import AmbiguousSendError, PermanentSendError, TransientSendError

_TRANSIENT_4XX = frozenset({401, 403, 408, 425, 429})
_MAX_DETAIL = 300


class ProviderClient:
    """One provider's HTTP session: its base URL and headers (credentials) on every request.

    The session opens on the first request (aiohttp wants a running event loop for it)."""

    def __init__(
        self,
        base_url: str,
        timeout: float,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._base_url = base_url
        self._timeout = aiohttp.ClientTimeout(total=None, connect=timeout, sock_read=timeout)
        self._headers = headers or {}
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers=self._headers, timeout=self._timeout)
        return self._session

    async def post(self, provider: str, path: str, **kwargs: Any) -> object:
        """POST and return the JSON answer; raise a send error on anything but 2xx."""
        try:
            async with self._open().post(self._base_url + path, **kwargs) as response:
                status, text = response.status, await response.text()
        except (aiohttp.ConnectionTimeoutError, aiohttp.ClientConnectorError) as exc:
            raise TransientSendError(_failed(provider, "falha de conexão", exc)) from exc
        except (TimeoutError, aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError) as exc:
            raise AmbiguousSendError(_failed(provider, "sem resposta", exc)) from exc
        except aiohttp.ClientError as exc:
            raise TransientSendError(_failed(provider, "falha de conexão", exc)) from exc
        if 200 <= status < 300:
            answer = _json(text)
            return {} if answer is None else answer
        detail = _readable(text)[:_MAX_DETAIL]
        message = f"{provider}: HTTP {status}: {detail}"
        if status >= 500 or status in _TRANSIENT_4XX:
            raise TransientSendError(message)
        raise PermanentSendError(message)

    async def get(self, path: str, params: dict[str, str] | None = None) -> tuple[int, object]:
        """GET and return the status and the JSON answer ({} when it is not JSON)."""
        async with self._open().get(self._base_url + path, params=params) as response:
            status, text = response.status, await response.text()
        answer = _json(text)
        return status, {} if answer is None else answer

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


def _failed(provider: str, what: str, exc: BaseException) -> str:
    return f"{provider}: {what} ({type(exc).__name__})"


def _json(text: str) -> object:
    """The answer's JSON, None when it is not JSON."""
    try:
        answer: object = json.loads(text)
    except ValueError:
        return None
    return answer


def _readable(text: str) -> str:
    """The provider's answer as text, with JSON's escaped accents written out."""
    answer = _json(text)
    return text if answer is None else json.dumps(answer, ensure_ascii=False)


def text_field(answer: object, *path: str) -> str | None:
    """``answer[path[0]][path[1]]…`` as a string, None when absent.

    A 2xx without the provider's id still means the message was accepted: it is recorded as
    sent (with no id to match delivery reports), never sent again.
    """
    value: object = answer
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return None if value is None or str(value) == "" else str(value)
