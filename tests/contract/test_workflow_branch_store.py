"""Contract of workflow's BranchStore: the fake and PostgreSQL keep branches the same way."""

from __future__ import annotations

import uuid
from datetime import date, time, timedelta

import pytest

from tests.contract import workflow_stores
from tests.fakes.workflow_kit import T0, snapshot
from workflow.domain.calendar_settings import CalendarSettings, DatedDay
from workflow.usecases.ports import Stores

stores = workflow_stores.stores


async def test_ensure_inserts_the_snapshot_once_and_scopes_it_to_its_chain(stores: Stores) -> None:
    chain = uuid.uuid4()
    branch = snapshot(phone="(11) 3253-1000")

    kept = await stores.branches.ensure(chain, branch, T0)
    again = await stores.branches.ensure(chain, snapshot(branch.branch_id, name="Outro"), T0)

    assert (kept.branch_id, kept.chain_id, kept.name, kept.phone) == (
        branch.branch_id,
        chain,
        "Visão Clara Paulista",
        "(11) 3253-1000",
    )
    assert again.name == "Visão Clara Paulista"  # ensure never overwrites
    assert (kept.calendar, kept.optional_days, kept.calendar_revision) == (
        CalendarSettings(),
        frozenset(),
        0,
    )
    assert await stores.branches.get(uuid.uuid4(), branch.branch_id) is None
    with pytest.raises(LookupError):
        await stores.branches.ensure(uuid.uuid4(), branch, T0)


async def test_ensure_gives_a_branch_without_chain_name_the_snapshots(stores: Stores) -> None:
    chain = uuid.uuid4()
    branch = snapshot(chain_name=None)
    await stores.branches.ensure(chain, branch, T0)

    named = await stores.branches.ensure(chain, snapshot(branch.branch_id, chain_name="Rede"), T0)

    assert named.chain_name == "Rede"


async def test_upsert_keeps_the_newest_snapshot(stores: Stores) -> None:
    chain = uuid.uuid4()
    branch = snapshot()
    await stores.branches.upsert(chain, branch, T0)

    await stores.branches.upsert(
        chain, snapshot(branch.branch_id, name="Nova", chain_name=None), T0 + timedelta(hours=1)
    )
    await stores.branches.upsert(chain, snapshot(branch.branch_id, name="Velha"), T0)
    await stores.branches.upsert(
        uuid.uuid4(), snapshot(branch.branch_id, name="Intrusa"), T0 + timedelta(days=1)
    )

    kept = await stores.branches.get(chain, branch.branch_id)
    assert kept is not None
    assert (kept.name, kept.chain_name, kept.updated_at) == (
        "Nova",
        "Óticas Visão Clara",  # kept when a snapshot lacks it
        T0 + timedelta(hours=1),
    )


async def test_saving_a_calendar_round_trips_and_bumps_the_revision(stores: Stores) -> None:
    chain = uuid.uuid4()
    branch = await stores.branches.ensure(chain, snapshot(), T0)
    settings = CalendarSettings(
        working_weekdays=frozenset(range(6)),
        opens_at=time(10),
        closing_by_weekday={5: time(13)},
        municipal_holidays=(DatedDay(date(2026, 12, 8), "Padroeira", every_year=True),),
        closures=(DatedDay(date(2026, 3, 2), "Inventário"),),
    )

    saved = await stores.branches.save_calendar(
        chain, branch.branch_id, settings, actor="gerente", now=T0
    )
    other = await stores.branches.save_calendar(
        uuid.uuid4(), branch.branch_id, settings, actor="x", now=T0
    )

    assert saved is not None
    assert saved.calendar.to_json() == settings.to_json()
    assert (saved.calendar_revision, saved.calendar_updated_at, saved.calendar_updated_by) == (
        1,
        T0,
        "gerente",
    )
    assert saved == await stores.branches.get(chain, branch.branch_id)
    assert other is None


async def test_the_chains_optional_days_reach_every_branch_old_and_new(stores: Stores) -> None:
    chain = uuid.uuid4()
    assert (await stores.branches.chain_optional_days(chain)).optional_days == ()
    first = await stores.branches.ensure(chain, snapshot(), T0)
    elsewhere = await stores.branches.ensure(uuid.uuid4(), snapshot(), T0)

    changed = await stores.branches.set_chain_optional_days(
        chain, ["carnival_tuesday", "carnival_monday", "carnival_monday"], actor="adm", now=T0
    )
    later = await stores.branches.ensure(chain, snapshot(), T0)

    chosen = await stores.branches.chain_optional_days(chain)
    assert chosen.optional_days == ("carnival_monday", "carnival_tuesday")
    assert (chosen.updated_at, chosen.updated_by) == (T0, "adm")
    assert changed == [first.branch_id]
    updated = await stores.branches.get(chain, first.branch_id)
    assert updated is not None
    assert updated.optional_days == {"carnival_monday", "carnival_tuesday"}
    assert updated.calendar_revision == 1
    assert later.optional_days == {"carnival_monday", "carnival_tuesday"}
    untouched = await stores.branches.get(elsewhere.chain_id, elsewhere.branch_id)
    assert untouched is not None
    assert untouched.optional_days == frozenset()
