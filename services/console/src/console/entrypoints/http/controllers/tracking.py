"""The customer's status page, ``/a/<token>``: public, no session, no cookie, not indexed.

One HTML page with one small stylesheet (``/static/tracking.css``), no script: it must load fast
on a 3G phone and pass the console's strict CSP. Answers 200 for an order, 404 for an unknown or
expired link (the same page shape), 429 after too many unknown links, 503 when workflow does
not answer. ``Referrer-Policy: no-referrer`` keeps the token out of the Referer of the links to
WhatsApp and the phone.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Template

from console.adapters.api_client import ApiClient
from console.usecases.tracking import load_tracking

PAGE_HEADERS = {
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}
STATUS = {"order": 200, "expired": 404, "not_found": 404, "too_many": 429, "unavailable": 503}


@get("/a/{token:str}", name="tracking", include_in_schema=False)
async def customer_page(request: Request[Any, Any, Any], token: FromPath[str]) -> Template:
    """What a customer sees when they open the link in their SMS."""
    api: ApiClient = request.app.state.api
    address = request.client.host if request.client else "unknown"
    view = await load_tracking(api, token[:200], address)
    return Template(
        template_name="tracking.html",
        context={"view": view},
        status_code=STATUS[view.kind],
        headers=PAGE_HEADERS,
    )
