"""Contract of intake's idempotency-key store."""

# ruff: noqa: F811 - the fixtures are imported, and pytest passes them by name

from __future__ import annotations

import uuid

import pytest

from intake.domain.idempotency import IdempotencyConflict
from intake.usecases.ports import Transactions
from tests.contract.intake_stores import intake_pool, new_chain, transactions  # noqa: F401


async def test_the_first_claim_wins_and_a_retry_finds_its_result(
    transactions: Transactions,
) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        assert await stores.keys.claim("order", chain_id, "k1", "hash-a", first) is None
    async with transactions.begin() as stores:
        assert await stores.keys.claim("order", chain_id, "k1", "hash-a", second) == first


async def test_the_same_key_with_another_request_is_a_conflict(
    transactions: Transactions,
) -> None:
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        await stores.keys.claim("order", chain_id, "k1", "hash-a", uuid.uuid4())
    with pytest.raises(IdempotencyConflict):
        async with transactions.begin() as stores:
            await stores.keys.claim("order", chain_id, "k1", "hash-b", uuid.uuid4())


async def test_keys_are_per_chain_and_per_kind(transactions: Transactions) -> None:
    async with transactions.begin() as stores:
        chain_id, other = await new_chain(stores), await new_chain(stores)
        await stores.keys.claim("order", chain_id, "k1", "hash-a", uuid.uuid4())
        assert await stores.keys.claim("order", other, "k1", "hash-b", uuid.uuid4()) is None
        assert await stores.keys.claim("action", chain_id, "k1", "hash-c", uuid.uuid4()) is None


async def test_a_rolled_back_claim_is_no_claim(transactions: Transactions) -> None:
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
    with pytest.raises(RuntimeError):  # noqa: PT012 - the block is one transaction
        async with transactions.begin() as stores:
            await stores.keys.claim("order", chain_id, "k1", "hash-a", uuid.uuid4())
            raise RuntimeError("refused")
    async with transactions.begin() as stores:
        assert await stores.keys.claim("order", chain_id, "k1", "hash-b", uuid.uuid4()) is None
