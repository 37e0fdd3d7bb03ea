"""Contract of intake's lab store: labs and their API keys."""

# ruff: noqa: F811 - the fixtures are imported, and pytest passes them by name

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from intake.domain.labs import KEY_PREFIX, LabCodeTaken
from intake.domain.records import Lab
from intake.usecases.ports import Transactions
from tests.contract.intake_stores import (  # noqa: F401 - fixtures
    NOW,
    intake_pool,
    new_chain,
    tag,
    transactions,
)


async def test_a_lab_code_is_unique_across_chains(transactions: Transactions) -> None:
    code = f"L{tag()}"
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        lab = await stores.labs.create(
            lab_id=uuid.uuid4(), chain_id=chain_id, code=code, name="Lab", now=NOW
        )
        assert await stores.labs.get(chain_id, lab.lab_id) == lab
        assert await stores.labs.list_labs(chain_id, 10, 0) == [lab]
        assert await stores.labs.by_code(code) == Lab(lab.lab_id, chain_id, code, "Lab")
        assert await stores.labs.in_chain(chain_id, code)
        other = await new_chain(stores)
        assert not await stores.labs.in_chain(other, code)
        assert await stores.labs.get(other, lab.lab_id) is None
    with pytest.raises(LabCodeTaken):
        async with transactions.begin() as stores:
            await stores.labs.create(
                lab_id=uuid.uuid4(), chain_id=other, code=code, name="Outro", now=NOW
            )


async def test_a_key_finds_its_lab_until_it_is_revoked(transactions: Transactions) -> None:
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        lab = await stores.labs.create(
            lab_id=uuid.uuid4(), chain_id=chain_id, code=f"L{tag()}", name="Lab", now=NOW
        )
        issued = await stores.labs.issue_key(
            key_id=uuid.uuid4(), lab_id=lab.lab_id, label="ERP", now=NOW
        )
        assert issued.secret.startswith(KEY_PREFIX)
        assert len(issued.secret) > 40
        assert issued.secret.startswith(issued.key.key_prefix)
        assert await stores.labs.list_keys(lab.lab_id) == [issued.key]
        found = await stores.labs.lab_for_key(issued.secret)
        assert found is not None
        assert found.lab_id == lab.lab_id
        assert await stores.labs.lab_for_key(issued.secret + "x") is None
        later = NOW + timedelta(minutes=1)
        revoked = await stores.labs.revoke_key(
            lab_id=lab.lab_id, key_id=issued.key.key_id, now=later
        )
        assert revoked is not None
        assert revoked.revoked_at == later
        again = await stores.labs.revoke_key(
            lab_id=lab.lab_id, key_id=issued.key.key_id, now=later + timedelta(minutes=1)
        )
        assert again == revoked  # the first revocation time stays
        assert await stores.labs.lab_for_key(issued.secret) is None
        assert (
            await stores.labs.revoke_key(lab_id=uuid.uuid4(), key_id=issued.key.key_id, now=NOW)
            is None
        )
