"""Track an order: what the customer's page (``/a/<token>``) may show, found by the link's token.

An unknown token and the token of an order closed longer ago than the link lives
(``days_after_close``) both give no view; the second still gives the record, so the page can
name the branch and its phone. What the view holds is the pure ``domain.tracking``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from workflow.domain.records import TrackingRecord
from workflow.domain.tracking import CustomerView, customer_view
from workflow.usecases.ports import TrackingReader


@dataclass(frozen=True, slots=True)
class Tracked:
    found: TrackingRecord | None
    """The order and its branch; None for an unknown token."""
    view: CustomerView | None
    """None when the token is unknown or the link has expired."""


async def track(
    reader: TrackingReader, token: str, now: datetime, days_after_close: int
) -> Tracked:
    found = await reader.find_by_token(token)
    view = customer_view(found.order, now, days_after_close) if found else None
    return Tracked(found, view)
