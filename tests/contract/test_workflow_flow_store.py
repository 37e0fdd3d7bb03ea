"""Contract of workflow's FlowStore: the fake and PostgreSQL keep flow versions the same way."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from tests.contract import workflow_stores
from tests.fakes.workflow_kit import STAGES
from workflow.usecases.ports import Stores

stores = workflow_stores.stores


async def test_versions_are_numbered_and_kept_as_saved(stores: Stores) -> None:
    chain = uuid.uuid4()
    first, active = await stores.flows.add_version(chain, "troca", "Troca", STAGES, created_by="a")
    changed = (*STAGES[:2], replace(STAGES[2], name="Pronta"))
    second, _ = await stores.flows.add_version(chain, "troca", "Troca!", changed, created_by=None)

    assert (first.version, second.version, active) == (1, 2, True)
    assert await stores.flows.latest(chain, "troca") == second
    assert await stores.flows.version(chain, "troca", 1) == first
    assert (await stores.flows.version(chain, "troca", 1) or first).name == "Troca"
    assert await stores.flows.version(chain, "troca", 3) is None
    assert await stores.flows.latest(uuid.uuid4(), "troca") is None
    assert await stores.flows.latest(chain, "outra") is None


async def test_an_orders_flow_carries_the_types_current_name(stores: Stores) -> None:
    chain = uuid.uuid4()
    await stores.flows.add_version(chain, "troca", "Troca", STAGES, created_by=None)
    await stores.flows.add_version(chain, "troca", "Troca nova", STAGES, created_by=None)

    flow = await stores.flows.for_order(chain, "troca", 1)

    assert (flow.version, flow.name, flow.stages) == (1, "Troca nova", STAGES)
    with pytest.raises(LookupError):
        await stores.flows.for_order(chain, "troca", 9)


async def test_a_type_is_created_once_and_switched_on_and_off(stores: Stores) -> None:
    chain = uuid.uuid4()
    assert await stores.flows.lock_service_type(chain, "reparo") is None
    assert not await stores.flows.is_active(chain, "reparo")

    assert await stores.flows.create_service_type(chain, "reparo", "Reparo", False)
    assert not await stores.flows.create_service_type(chain, "reparo", "Reparo", True)
    assert await stores.flows.lock_service_type(chain, "reparo") is False
    await stores.flows.set_active(chain, "reparo", True)

    assert await stores.flows.lock_service_type(chain, "reparo") is True
    assert await stores.flows.is_active(chain, "reparo")
    await stores.flows.set_active(chain, "reparo", False)
    _, active = await stores.flows.add_version(chain, "reparo", "Reparo", STAGES, created_by=None)
    assert active is False  # a new version keeps the type switched off
