"""Contract of intake's directory store (chains and branches) and service-type copies."""

# ruff: noqa: F811 - the fixtures are imported, and pytest passes them by name

from __future__ import annotations

import uuid
from datetime import time

import pytest

from etapa_contracts.events import SendingWindow
from intake.domain.directory import DirectoryConflict
from intake.usecases.ports import Transactions
from tests.contract.intake_stores import (  # noqa: F401 - fixtures
    NOW,
    intake_pool,
    new_branch,
    new_chain,
    snapshot,
    tag,
    transactions,
)


async def test_a_chain_name_is_taken_once(transactions: Transactions) -> None:
    name = f"Rede {tag()}"
    async with transactions.begin() as stores:
        chain = await stores.directory.create_chain(uuid.uuid4(), name)
        assert await stores.directory.get_chain(chain.chain_id) == chain
        await stores.directory.ensure_chain(chain.chain_id, name)  # no second chain, no error
    with pytest.raises(DirectoryConflict):
        async with transactions.begin() as stores:
            await stores.directory.create_chain(uuid.uuid4(), name)


async def test_a_branch_is_created_then_updated_in_place(transactions: Transactions) -> None:
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        branch = await new_branch(stores, chain_id)
        window = SendingWindow(starts_at=time(9), ends_at=time(18), weekdays=(0, 1, 2))
        changed = snapshot(branch.code, branch.branch_id).model_copy(update={"name": "Nova"})
        updated = await stores.directory.upsert_branch(chain_id, changed, window, NOW)
        assert updated is not None
        assert updated.name == "Nova"
        assert (updated.sms_starts_at, updated.sms_ends_at, updated.sms_weekdays) == (
            time(9),
            time(18),
            [0, 1, 2],
        )
        assert await stores.directory.get_branch(chain_id, branch.branch_id) == updated
        assert await stores.directory.branch_code(chain_id, branch.branch_id) == branch.code


async def test_a_branch_of_another_chain_is_neither_seen_nor_changed(
    transactions: Transactions,
) -> None:
    async with transactions.begin() as stores:
        chain_id, other = await new_chain(stores), await new_chain(stores)
        branch = await new_branch(stores, chain_id)
        assert await stores.directory.get_branch(other, branch.branch_id) is None
        assert await stores.directory.branch_code(other, branch.branch_id) is None
        taken = snapshot(branch_id=branch.branch_id)
        assert await stores.directory.upsert_branch(other, taken, SendingWindow(), NOW) is None
        assert await stores.directory.existing_branches(other, [branch.branch_id]) == set()
        assert await stores.directory.existing_branches(chain_id, [branch.branch_id]) == {
            branch.branch_id
        }


async def test_a_branch_code_is_unique_in_its_chain(transactions: Transactions) -> None:
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        branch = await new_branch(stores, chain_id)
        await new_branch(stores, await new_chain(stores), branch.code)  # another chain may
    with pytest.raises(DirectoryConflict):
        async with transactions.begin() as stores:
            await new_branch(stores, chain_id, branch.code)


async def test_branches_list_by_code_filtered_and_paged(transactions: Transactions) -> None:
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        c, a, b = [await new_branch(stores, chain_id, code) for code in ("CC01", "AA01", "BB01")]
        listed = await stores.directory.list_branches(chain_id, None, 2, 0)
        assert [x.code for x in listed] == ["AA01", "BB01", "CC01"]  # limit + 1: a next page
        assert [x.code for x in await stores.directory.list_branches(chain_id, None, 2, 2)] == [
            "CC01"
        ]
        only = await stores.directory.list_branches(chain_id, frozenset({c.branch_id}), 10, 0)
        assert only == [c]
        assert a != b


async def test_the_newest_flow_version_of_a_service_type_wins(
    transactions: Transactions,
) -> None:
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        assert await stores.service_types.known(chain_id) == {}
        await stores.service_types.keep(chain_id, "reparo", "Reparo", 2, True, NOW)
        await stores.service_types.keep(chain_id, "reparo", "Reparo", 1, False, NOW)  # older
        await stores.service_types.keep(chain_id, "troca", "Troca", 1, True, NOW)
        await stores.service_types.keep(chain_id, "troca", "Troca", 1, False, NOW)  # same: kept
        assert dict(await stores.service_types.known(chain_id)) == {
            "reparo": True,
            "troca": False,
        }
        assert await stores.service_types.known(await new_chain(stores)) == {}
