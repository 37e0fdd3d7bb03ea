"""The quote use case on the in-memory stores: what it refuses, and the quote it gives."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from tests.fakes.workflow_kit import CALENDAR, STAGES, T0, snapshot
from tests.fakes.workflow_stores import FakeStores
from workflow.domain.calendar import BranchCalendar
from workflow.domain.records import Branch
from workflow.usecases.quote import NothingToQuote, quote_basis


class FixedCalendars:
    def for_branch(self, branch: Branch, now: datetime) -> BranchCalendar:
        return CALENDAR


async def test_a_quote_chains_the_latest_flows_stages_in_the_branch() -> None:
    stores, chain, branch = FakeStores(), uuid.uuid4(), snapshot()
    await stores.branches.ensure(chain, branch, T0)
    await stores.flows.add_version(chain, "teste", "Teste", STAGES[:1], created_by=None)
    await stores.flows.add_version(chain, "teste", "Teste", STAGES, created_by=None)

    basis = await quote_basis(
        stores.branches, stores.flows, FixedCalendars(), chain, branch.branch_id, "teste", T0
    )
    quoted = basis.starting(T0)

    assert (basis.flow.version, basis.branch.branch_id) == (2, branch.branch_id)
    assert len(quoted.projection.stage_deadlines) == len(STAGES)
    assert quoted.due_at == quoted.projection.stage_deadlines[-1].due_at


@pytest.mark.parametrize(
    ("known_branch", "code", "active", "message"),
    [
        (False, "teste", True, "branch"),
        (True, "outro", True, "'outro' not found"),
        (True, "teste", False, "'teste' is inactive"),
    ],
)
async def test_nothing_is_quoted_for_an_unknown_branch_or_type_or_a_type_switched_off(
    known_branch: bool, code: str, active: bool, message: str
) -> None:
    stores, chain, branch = FakeStores(), uuid.uuid4(), snapshot()
    if known_branch:
        await stores.branches.ensure(chain, branch, T0)
    await stores.flows.add_version(chain, "teste", "Teste", STAGES, created_by=None)
    await stores.flows.set_active(chain, "teste", active)

    with pytest.raises(NothingToQuote, match=message):
        await quote_basis(
            stores.branches, stores.flows, FixedCalendars(), chain, branch.branch_id, code, T0
        )
