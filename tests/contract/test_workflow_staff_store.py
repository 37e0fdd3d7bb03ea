"""Contract of workflow's StaffStore: the fake and PostgreSQL keep the chain's people and name
each stage's default person the same way."""

from __future__ import annotations

import uuid
from datetime import timedelta

from tests.contract import workflow_stores
from tests.fakes.workflow_kit import T0, snapshot
from tests.fakes.workflow_stores import FakeStores
from workflow.adapters.postgres import responsibles
from workflow.adapters.postgres.stores import PostgresStores
from workflow.domain.records import StaffMember
from workflow.domain.responsibles import Person
from workflow.usecases.ports import Stores

stores = workflow_stores.stores


async def _name_default(
    stores: Stores, chain: uuid.UUID, stage: str, branch: uuid.UUID, user: uuid.UUID
) -> None:
    if isinstance(stores, FakeStores):
        stores.staff.name_default(chain, "troca", stage, branch, user)
        return
    assert isinstance(stores, PostgresStores)
    await responsibles.set_default(
        stores.conn, chain, "troca", stage, branch, user, by="Admin", at=T0
    )


def _person(chain: uuid.UUID, branch: uuid.UUID, **changes: object) -> StaffMember:
    fields: dict[str, object] = {
        "user_id": uuid.uuid4(),
        "chain_id": chain,
        "name": "Ana Montadora",
        "role": "attendant",
        "branch_ids": frozenset({branch}),
        "active": True,
        "updated_at": T0,
    }
    fields.update(changes)
    return StaffMember(**fields)  # type: ignore[arg-type]


async def test_defaults_name_only_people_who_may_take_the_branchs_orders(stores: Stores) -> None:
    chain = uuid.uuid4()
    branch = snapshot()
    await stores.branches.upsert(chain, branch, T0)
    ana = _person(chain, branch.branch_id)
    away = _person(chain, uuid.uuid4(), name="Bia de outra filial")
    viewer = _person(chain, branch.branch_id, name="Caio", role="viewer")
    admin = _person(chain, uuid.uuid4(), name="Dora", role="chain_admin")
    for person in (ana, away, viewer, admin):
        await stores.staff.upsert(person)
    for stage, person in (("montagem", ana), ("lab", away), ("qc", viewer), ("entrega", admin)):
        await _name_default(stores, chain, stage, branch.branch_id, person.user_id)

    defaults = await stores.staff.defaults_for(chain, "troca", branch.branch_id)

    assert dict(defaults) == {
        "montagem": Person(str(ana.user_id), "Ana Montadora"),
        "entrega": Person(str(admin.user_id), "Dora"),
    }
    assert await stores.staff.defaults_for(uuid.uuid4(), "troca", branch.branch_id) == {}


async def test_an_older_copy_or_another_chains_never_overwrites_the_person(stores: Stores) -> None:
    chain = uuid.uuid4()
    branch = snapshot()
    await stores.branches.upsert(chain, branch, T0)
    ana = _person(chain, branch.branch_id, updated_at=T0 + timedelta(hours=1))
    await stores.staff.upsert(ana)
    await _name_default(stores, chain, "montagem", branch.branch_id, ana.user_id)

    await stores.staff.upsert(_person(chain, branch.branch_id, user_id=ana.user_id, active=False))
    await stores.staff.upsert(
        _person(
            uuid.uuid4(),
            branch.branch_id,
            user_id=ana.user_id,
            name="Intrusa",
            updated_at=T0 + timedelta(hours=2),
        )
    )
    assert await stores.staff.defaults_for(chain, "troca", branch.branch_id) == {
        "montagem": Person(str(ana.user_id), "Ana Montadora")
    }

    await stores.staff.upsert(
        _person(
            chain,
            branch.branch_id,
            user_id=ana.user_id,
            active=False,
            updated_at=T0 + timedelta(hours=3),
        )
    )
    assert await stores.staff.defaults_for(chain, "troca", branch.branch_id) == {}
