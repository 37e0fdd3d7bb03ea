"""The customer's tracking read, public (no sign-in): what the page ``/a/<token>`` shows.

Rules:

- ``GET /api/v1/tracking/{token}`` answers only customer-safe data: the chain's and branch's
  name, address, phone and opening hours, the customer's first name, the order number, the
  visible stages under their customer names, the status, the promised date and the forecast.
  Never the customer's phone, items, prices, notes, ids or staff names.
- An unknown token (or one of the wrong shape) and the token of an order closed more than
  ``WORKFLOW_TRACKING_DAYS_AFTER_CLOSE`` days ago answer the same way: 404 with the same body
  shape (``status`` ``not_found`` or ``expired``; the expired one names the branch, so the
  page can give its phone). A closed order within the window shows ``delivered``/``cancelled``.
- **Abuse.** Each client address may miss (unknown or expired token)
  ``WORKFLOW_TRACKING_MISS_LIMIT`` times in ``MISS_WINDOW``; beyond that every tracking
  request from it is a 429 until the window passes, so guessing tokens is slow and answers
  nothing. The count is per process. The
  address is the connection's, or the last ``X-Forwarded-For`` hop when the connection comes
  from one of ``WORKFLOW_TRACKING_TRUSTED_PROXIES`` (the console, which calls on behalf of the
  customer's browser).
- Responses carry ``Cache-Control: no-store`` and ``X-Robots-Tag: noindex``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

import asyncpg
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import TooManyRequestsException
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, PathParameter
from pydantic import BaseModel, Field

from etapa_contracts.sms_template import first_name
from shared.auth import PUBLIC
from shared.clock import Clock
from workflow.adapters.postgres.tracking import PostgresTrackingReader
from workflow.domain.records import TrackingRecord
from workflow.domain.tracking import CustomerView
from workflow.usecases.tracking import Tracked, track

MISS_WINDOW = timedelta(minutes=10)
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}
Token = Annotated[str, PathParameter(max_length=200, description="the link's token")]


class TrackingBranch(BaseModel):
    name: str
    address: str | None
    phone: str | None
    opening_hours: str | None


class TrackingStage(BaseModel):
    name: str
    progress: Literal["done", "current", "upcoming"]


class TrackingOut(BaseModel):
    """The same shape for every answer; a 404 has ``status`` not_found or expired."""

    status: Literal["open", "ready", "delivered", "cancelled", "expired", "not_found"]
    chain_name: str | None = None
    branch: TrackingBranch | None = None
    customer_first_name: str | None = None
    order_number: str | None = None
    stages: list[TrackingStage] = Field(default=[])
    current_stage: str | None = None
    promised_date: date | None = None
    forecast_date: date | None = Field(
        default=None, description="projected completion, or the lab's forecast when later"
    )
    link_expires_at: datetime | None = Field(
        default=None, description="a closed order's link stops answering then"
    )


@dataclass
class MissLimiter:
    """Misses (unknown or expired tokens) per client address in a fixed window, in process.

    Used from the event loop only: each call runs without awaiting, so needs no lock.
    """

    limit: int
    window: timedelta = MISS_WINDOW
    _counts: dict[str, tuple[datetime, int]] = field(default_factory=dict)

    def blocked(self, address: str, now: datetime) -> bool:
        started, count = self._counts.get(address, (now, 0))
        return now - started < self.window and count >= self.limit

    def miss(self, address: str, now: datetime) -> None:
        started, count = self._counts.get(address, (now, 0))
        if now - started >= self.window:
            started, count = now, 0
        self._counts[address] = (started, count + 1)
        if len(self._counts) > 100_000:  # forget finished windows
            self._counts = {a: v for a, v in self._counts.items() if now - v[0] < self.window}


@dataclass(frozen=True)
class TrackingPolicy:
    days_after_close: int
    limiter: MissLimiter
    trusted_proxies: frozenset[str]

    def client_address(self, request: Request[Any, Any, Any]) -> str:
        host = request.client.host if request.client else "unknown"
        forwarded = request.headers.get("x-forwarded-for")
        if host in self.trusted_proxies and forwarded:
            last = forwarded.split(",")[-1].strip()
            if last:
                return last[:100]
        return host


@get(
    "/api/v1/tracking/{token:str}",
    opt=PUBLIC,
    tags=["tracking"],
    responses={404: ResponseSpec(TrackingOut, description="not_found or expired, same shape")},
)
async def get_tracking(
    token: FromPath[Token],
    request: Request[Any, Any, Any],
    pool: NamedDependency[asyncpg.Pool],
    clock: NamedDependency[Clock],
    tracking: NamedDependency[TrackingPolicy],
) -> Response[TrackingOut]:
    """The customer's view of an order, by the token of its link (public, no sign-in).

    404 (``not_found`` or ``expired``, same shape) for an unknown token and for an order closed
    longer ago than the link lives; 429 after too many of those from one client address.
    """
    now = clock()
    address = tracking.client_address(request)
    if tracking.limiter.blocked(address, now):
        raise TooManyRequestsException(
            "muitas consultas de links inexistentes; tente de novo em alguns minutos",
            headers={"Retry-After": str(int(tracking.limiter.window.total_seconds()))},
        )
    tracked = Tracked(found=None, view=None)
    if TOKEN_SHAPE.fullmatch(token):
        async with pool.acquire() as conn:
            reader = PostgresTrackingReader(conn)
            tracked = await track(reader, token, now, tracking.days_after_close)
    found, view = tracked.found, tracked.view
    if found is None or view is None:
        tracking.limiter.miss(address, now)
        body = TrackingOut(status="not_found")
        if found is not None:  # expired: the page says it closed and gives the branch's phone
            body = TrackingOut(status="expired", chain_name=found.chain_name, branch=_branch(found))
        return Response(body, status_code=404, headers=HEADERS)
    return Response(_body(found, view), headers=HEADERS)


def _branch(found: TrackingRecord) -> TrackingBranch:
    return TrackingBranch(
        name=found.branch_name,
        address=found.branch_address,
        phone=found.branch_phone,
        opening_hours=found.branch_opening_hours,
    )


def _body(found: TrackingRecord, view: CustomerView) -> TrackingOut:
    return TrackingOut(
        status=view.status.value,
        chain_name=found.chain_name,
        branch=_branch(found),
        customer_first_name=first_name(found.customer_name),
        order_number=found.order_number,
        stages=[TrackingStage(name=s.name, progress=s.progress.value) for s in view.stages],
        current_stage=view.current_stage,
        promised_date=found.promised_date,
        forecast_date=view.forecast_date,
        link_expires_at=view.link_expires_at,
    )
