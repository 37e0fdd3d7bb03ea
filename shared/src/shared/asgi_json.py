"""A JSON answer sent straight from an ASGI middleware, before any handler runs."""

from __future__ import annotations

import json
from typing import Any

from litestar.types import HTTPResponseBodyEvent, HTTPResponseStartEvent, Send


async def send_json(send: Send, status: int, body: dict[str, Any], language: str) -> None:
    payload = json.dumps(body, ensure_ascii=False).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", b"%d" % len(payload)),
        (b"content-language", language.encode()),
    ]
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": status,
        "headers": headers,
    }
    body_event: HTTPResponseBodyEvent = {
        "type": "http.response.body",
        "body": payload,
        "more_body": False,
    }
    await send(start)
    await send(body_event)
