"""Headers every console response carries: a strict Content-Security-Policy and friends.

No inline script or style can run (htmx is served from /static and its inline indicator style
is switched off in the page's htmx config); nothing loads from another origin; no page can be
framed. A session renewed during the request gets its new cookie here.
"""

from __future__ import annotations

from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
RENEWED_COOKIE = "renewed_session_cookie"


class SecurityHeadersMiddleware(ASGIMiddleware):
    scopes = ("http",)  # type: ignore[assignment]

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await next_app(scope, receive, send_with_headers)


async def renewed_cookie_hook(message: Message, scope: Scope) -> None:
    """Adds the renewed session cookie a request left in its state, if any."""
    if message["type"] != "http.response.start":
        return
    cookie = scope.get("state", {}).get(RENEWED_COOKIE)
    if isinstance(cookie, Cookie):
        MutableScopeHeaders.from_message(message).add("set-cookie", cookie.to_header(header=""))
