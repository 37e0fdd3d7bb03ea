"""Quote: when an order of a service type, started in a branch, would be ready.

The branch and the service type's latest flow are loaded first (an unknown branch, an unknown
or switched-off type: ``NothingToQuote``, a 404 over HTTP); the quote itself is the pure
``domain.quote.quote`` over the branch's calendar, from a start the caller reads in the
branch's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from workflow.domain.calendar import BranchCalendar
from workflow.domain.flow import FlowVersion
from workflow.domain.quote import Quote, quote
from workflow.domain.records import Branch
from workflow.usecases.ports import BranchStore, Calendars, FlowStore


class NothingToQuote(LookupError):
    """The branch or the service type is unknown in the chain, or the type is switched off."""


@dataclass(frozen=True, slots=True)
class QuoteBasis:
    branch: Branch
    flow: FlowVersion
    calendar: BranchCalendar

    def starting(self, start: datetime) -> Quote:
        return quote(self.flow, self.calendar, start)


async def quote_basis(
    branches: BranchStore,
    flows: FlowStore,
    calendars: Calendars,
    chain_id: UUID,
    branch_id: UUID,
    service_type: str,
    now: datetime,
) -> QuoteBasis:
    branch = await branches.get(chain_id, branch_id)
    if branch is None:
        raise NothingToQuote(f"branch {branch_id} not found")
    flow = await flows.latest(chain_id, service_type)
    if flow is None:
        raise NothingToQuote(f"service type {service_type!r} not found")
    if not await flows.is_active(chain_id, service_type):
        raise NothingToQuote(f"service type {service_type!r} is inactive")
    return QuoteBasis(branch, flow, calendars.for_branch(branch, now))
