"""The customer's status page: ask workflow's public tracking read, never with a staff token.

A token of the wrong shape is not sent on (the page is the same "not found"); the customer's
address goes as ``X-Forwarded-For`` so workflow's limit on unknown tokens counts per customer,
not per console (workflow trusts the header only from ``WORKFLOW_TRACKING_TRUSTED_PROXIES``).
"""

from __future__ import annotations

import re

from console.adapters.api_client import ApiClient, Service, ServiceDown
from console.domain.tracking import TrackingPage, tracking_page

TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


async def load_tracking(api: ApiClient, token: str, client_address: str) -> TrackingPage:
    if not TOKEN_SHAPE.fullmatch(token):
        return tracking_page(404, None)
    try:
        status, body = await api.public_read(
            Service.WORKFLOW,
            f"/api/v1/tracking/{token}",
            headers={"X-Forwarded-For": client_address},
        )
    except ServiceDown:
        return TrackingPage(kind="unavailable")
    return tracking_page(status, body)
