"""Requests per user per minute, counted: Litestar's limit with constant work per request.

Litestar's ``RateLimitMiddleware`` keeps, for each user, the time stamp of every request in the
current window, and on every request reads that list from the app's store, decodes it, prepends
one stamp, encodes it and writes it back, under a lock: a request costs more the more requests
its user made this minute. At the limit of the settings a busy integration may reach (100,000
a minute in the benchmarks, 200 requests/s from one user) that was 12,000 stamps decoded and
encoded per request, ≈ 7 % of intake's CPU in ``make bench-e2e``.

This middleware keeps Litestar's configuration (``RateLimitConfig``: the limit, the exclusions,
the identity of a request, the header names) and its answers — a 429 once the window's count
is reached, ``RateLimit-*`` headers on every answer — with a fixed window per user: a count and
the time the window ends, in the process's memory (the limit was already per process: the
default store is the process's memory). No await, so no lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from time import time

from litestar.exceptions import TooManyRequestsException
from litestar.middleware import DefineMiddleware
from litestar.middleware.rate_limit import DURATION_VALUES, RateLimitConfig, RateLimitMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from shared.asgi_headers import header, set_headers

PRUNE_ABOVE = 10_000
"""Windows kept before the ended ones are dropped (one per user or address seen lately)."""


@dataclass(slots=True)
class Window:
    count: int
    """Requests let through in this window."""
    ends_at: int
    """When the window ends (seconds since the epoch), as Litestar's ``reset``."""


def counting_rate_limit(config: RateLimitConfig) -> DefineMiddleware:
    """The app's rate limit middleware. Litestar builds a middleware once per route: the
    windows are one dict for all of them, so a user's requests to every route count together."""
    windows: dict[str, Window] = {}
    return DefineMiddleware(CountingRateLimitMiddleware, config=config, windows=windows)


class CountingRateLimitMiddleware(RateLimitMiddleware):
    """Made by ``counting_rate_limit``."""

    def __init__(self, app: ASGIApp, config: RateLimitConfig, windows: dict[str, Window]) -> None:
        super().__init__(app, config)
        self._windows = windows

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = scope["litestar_app"].request_class(scope)
        if await self.should_check_request(request=request):
            window = self._window(self.cache_key_from_request(request), int(time()))
            if window.count >= self.max_requests:
                raise TooManyRequestsException(headers=self._headers(window))
            window.count += 1
            if self.config.set_rate_limit_headers:  # what this request left, not a later one
                send = self._sending_headers(send, Window(window.count, window.ends_at))
        await self.app(scope, receive, send)

    def _window(self, key: str, now: int) -> Window:
        windows = self._windows
        window = windows.get(key)
        if window is not None and window.ends_at > now:
            return window
        if window is None and len(windows) >= PRUNE_ABOVE:
            for ended in [k for k, w in windows.items() if w.ends_at <= now]:
                del windows[ended]
        window = windows[key] = Window(0, now + DURATION_VALUES[self.unit])
        return window

    def _headers(self, window: Window) -> dict[str, str]:
        config = self.config
        return {
            config.rate_limit_policy_header_key: (
                f"{self.max_requests}; w={DURATION_VALUES[self.unit]}"
            ),
            config.rate_limit_limit_header_key: str(self.max_requests),
            config.rate_limit_remaining_header_key: str(max(0, self.max_requests - window.count)),
            config.rate_limit_reset_header_key: str(window.ends_at - int(time())),
        }

    def _sending_headers(self, send: Send, window: Window) -> Send:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                set_headers(message, [header(k, v) for k, v in self._headers(window).items()])
            await send(message)

        return send_with_headers
