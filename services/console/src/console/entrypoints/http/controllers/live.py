"""Server-Sent Events for open boards: "an order you may see changed", nothing more.

The stream is scoped by the session's token: only updates of the person's chain and branches
are sent. Each message names the order and the kind of change; the board then fetches its cards
again with the person's own token, so no data travels that the API would not show them.
A comment every 15 s keeps proxies from closing an idle stream and notices a closed tab.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.response import ServerSentEvent, ServerSentEventMessage

from console.adapters.live_feed import LiveHub
from console.domain.live import may_receive
from console.entrypoints.http.session import principal_of

KEEPALIVE_SECONDS = 15.0


class LiveController(Controller):
    @get("/ao-vivo", name="live")
    async def live(self, request: Request[Any, Any, Any], state: State) -> ServerSentEvent:
        principal = principal_of(request)
        hub: LiveHub = state.hub
        visible = principal.visible_branches()

        async def updates() -> AsyncGenerator[ServerSentEventMessage, None]:
            yield ServerSentEventMessage(event="ready", data="ok", retry=3000)
            with hub.subscription() as queue:
                while True:
                    try:
                        update = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                    except TimeoutError:
                        yield ServerSentEventMessage(comment="keepalive")
                        continue
                    if may_receive(principal.chain_id, visible, update):
                        yield ServerSentEventMessage(
                            event="order", data=f"{update.kind} {update.order_id}"
                        )

        return ServerSentEvent(updates(), headers={"Cache-Control": "no-store"})
