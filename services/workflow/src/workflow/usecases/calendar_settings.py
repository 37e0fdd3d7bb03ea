"""Change a branch's calendar settings, or the optional days a whole chain closes on.

Settings are checked first (every problem named by its field, ``InvalidInput``); nothing is
stored when one is wrong. Each change bumps the branch's ``calendar_revision``, so every
replica's calendar cache rebuilds the branch's calendar on its next read; the caller also
drops it from its own cache at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from workflow.domain.calendar_settings import CalendarSettings, settings_problems
from workflow.domain.problems import InvalidInput
from workflow.domain.records import Branch, ChainOptionalDays
from workflow.usecases.ports import BranchStore


async def change_branch_calendar(
    branches: BranchStore,
    chain_id: UUID,
    branch_id: UUID,
    settings: CalendarSettings,
    *,
    actor: str | None,
    now: datetime,
) -> Branch | None:
    """The branch with its new settings; None when the chain has no such branch."""
    problems = settings_problems(settings)
    if problems:
        raise InvalidInput(problems)
    return await branches.save_calendar(chain_id, branch_id, settings, actor=actor, now=now)


async def choose_optional_days(
    branches: BranchStore,
    chain_id: UUID,
    days: Iterable[str],
    *,
    actor: str | None,
    now: datetime,
) -> tuple[ChainOptionalDays, list[UUID]]:
    """The chain's new choice, and the branches whose calendars it changed."""
    changed = await branches.set_chain_optional_days(chain_id, days, actor=actor, now=now)
    return await branches.chain_optional_days(chain_id), changed
