"""What the HTTP providers share: one client each, and one reading of HTTP outcomes.

- 2xx: accepted.
- 408, 429, 5xx, 401 and 403 (credentials: a setting to fix, not the message's fault), or a
  connection that could not be made: transient.
- A request sent with no answer (read timeout, connection dropped): ambiguous, the SMS may
  have gone out.
- Any other 4xx (invalid number, rejected body): permanent, with the provider's own words.

Lookups (``get``) read the answer as it comes: the status and the JSON body; a request that
fails (connection, timeout) raises, and the dispatcher takes that as "could not tell".
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from notifier.usecases.ports import AmbiguousSendError, PermanentSendError, TransientSendError

_TRANSIENT_4XX = frozenset({401, 403, 408, 425, 429})
_MAX_DETAIL = 300


def new_client(base_url: str, timeout: float, **kwargs: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base_url, timeout=timeout, **kwargs)


async def post(client: httpx.AsyncClient, provider: str, url: str, **kwargs: Any) -> object:
    """POST and return the JSON answer; raise a send error on anything but 2xx."""
    try:
        response = await client.post(url, **kwargs)
    except (httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ConnectError) as exc:
        raise TransientSendError(f"{provider}: falha de conexão ({type(exc).__name__})") from exc
    except (httpx.TimeoutException, httpx.RemoteProtocolError) as exc:
        raise AmbiguousSendError(f"{provider}: sem resposta ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise TransientSendError(f"{provider}: falha de conexão ({type(exc).__name__})") from exc
    if response.is_success:
        try:
            return response.json()
        except ValueError:
            return {}
    detail = _readable(response)[:_MAX_DETAIL]
    message = f"{provider}: HTTP {response.status_code}: {detail}"
    if response.status_code >= 500 or response.status_code in _TRANSIENT_4XX:
        raise TransientSendError(message)
    raise PermanentSendError(message)


async def get(
    client: httpx.AsyncClient, url: str, params: dict[str, str] | None = None
) -> tuple[int, object]:
    """GET and return the status and the JSON answer ({} when it is not JSON)."""
    response = await client.get(url, params=params)
    try:
        answer: object = response.json()
    except ValueError:
        answer = {}
    return response.status_code, answer


def _readable(response: httpx.Response) -> str:
    """The provider's answer as text, with JSON's escaped accents written out."""
    try:
        return json.dumps(response.json(), ensure_ascii=False)
    except ValueError:
        return response.text


def text_field(answer: object, *path: str) -> str | None:
    """``answer[path[0]][path[1]]…`` as a string, None when absent.

    A 2xx without the provider's id still means the message was accepted: it is recorded as
    sent (with no id to match delivery reports), never sent again.
    """
    value: object = answer
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return None if value is None or str(value) == "" else str(value)
