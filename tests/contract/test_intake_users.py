"""Contract of intake's user store."""

# ruff: noqa: F811 - the fixtures are imported, and pytest passes them by name

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from intake.domain.records import User
from intake.domain.users import EmailTaken
from intake.usecases.ports import Stores, Transactions
from tests.contract.intake_stores import (  # noqa: F401 - fixtures
    intake_pool,
    new_branch,
    new_chain,
    tag,
    transactions,
)


async def _user(stores: Stores, chain_id: uuid.UUID, name: str, branches: list[uuid.UUID]) -> User:
    return await stores.users.create(
        user_id=uuid.uuid4(),
        chain_id=chain_id,
        email=f"{name.lower()}.{tag()}@rede.com",
        name=name,
        role="attendant",
        branch_ids=branches,
        password_hash="hash-1",
    )


async def test_a_user_reads_back_and_signs_in_by_any_case_of_the_email(
    transactions: Transactions,
) -> None:
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        user = await _user(stores, chain_id, "Alice", [])
        assert await stores.users.get(chain_id, user.user_id) == user
        assert await stores.users.get(await new_chain(stores), user.user_id) is None
        candidate = await stores.users.sign_in_candidate(user.email.upper())
    assert candidate is not None
    assert (candidate.user_id, candidate.password_hash, candidate.active) == (
        user.user_id,
        "hash-1",
        True,
    )
    assert user.active
    assert user.role == "attendant"


async def test_an_email_is_taken_once_whatever_its_case(transactions: Transactions) -> None:
    async with transactions.begin() as stores:
        user = await _user(stores, await new_chain(stores), "Bia", [])
    with pytest.raises(EmailTaken):
        async with transactions.begin() as stores:
            await stores.users.create(
                user_id=uuid.uuid4(),
                chain_id=await new_chain(stores),
                email=user.email.upper(),
                name="Outra",
                role="viewer",
                branch_ids=[],
                password_hash="x",
            )


async def test_an_update_changes_only_what_it_names(transactions: Transactions) -> None:
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        branch = await new_branch(stores, chain_id)
        user = await _user(stores, chain_id, "Caio", [])
        updated = await stores.users.update(
            chain_id, user.user_id, role="viewer", branch_ids=[branch.branch_id], active=False
        )
        assert updated is not None
        assert (updated.name, updated.role, updated.branch_ids, updated.active) == (
            "Caio",
            "viewer",
            [branch.branch_id],
            False,
        )
        await stores.users.update(chain_id, user.user_id, password_hash="hash-2")
        candidate = await stores.users.sign_in_candidate(user.email)
        assert candidate is not None
        assert candidate.password_hash == "hash-2"
        assert await stores.users.update(await new_chain(stores), user.user_id, name="X") is None


async def test_users_list_by_name_and_by_branch(transactions: Transactions) -> None:
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        branch = await new_branch(stores, chain_id)
        zé = await _user(stores, chain_id, "Zé", [branch.branch_id])
        ana = await _user(stores, chain_id, "Ana", [])
        assert await stores.users.list_users(chain_id, None, 10, 0) == [ana, zé]
        assert await stores.users.list_users(chain_id, frozenset({branch.branch_id}), 10, 0) == [zé]
        assert await stores.users.list_users(chain_id, None, 0, 1) == [zé]


async def test_revoking_tokens_keeps_the_latest_moment_and_rolls_back(
    transactions: Transactions,
) -> None:
    moment = datetime(2026, 3, 2, 12, 0, 0, 123000, tzinfo=UTC)
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        user = await _user(stores, chain_id, "Duda", [])
        assert await stores.users.tokens_valid_since(user.user_id) is None
        await stores.users.revoke_tokens(chain_id, user.user_id, moment)
        await stores.users.revoke_tokens(chain_id, user.user_id, moment - timedelta(seconds=1))
        assert await stores.users.tokens_valid_since(user.user_id) == moment

    async def failing_change() -> None:
        async with transactions.begin() as stores:
            await stores.users.revoke_tokens(chain_id, user.user_id, moment + timedelta(hours=1))
            raise RuntimeError("the user change failed")

    with pytest.raises(RuntimeError):
        await failing_change()
    async with transactions.begin() as stores:
        assert await stores.users.tokens_valid_since(user.user_id) == moment
