"""The chain's labs and their API keys (rules: ``intake.domain.labs``)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from intake.domain.records import IssuedKey, LabKey, LabRecord
from intake.usecases.ports import NewId, Transactions


class UnknownLab(LookupError):
    pass


async def create_lab(
    transactions: Transactions,
    *,
    chain_id: UUID,
    code: str,
    name: str,
    now: datetime,
    new_id: NewId,
) -> LabRecord:
    """Register a lab (``LabCodeTaken``); messages that came under its code join its chain."""
    async with transactions.begin() as stores:
        return await stores.labs.create(
            lab_id=new_id(), chain_id=chain_id, code=code, name=name, now=now
        )


async def get_lab(transactions: Transactions, chain_id: UUID, lab_id: UUID) -> LabRecord | None:
    async with transactions.begin() as stores:
        return await stores.labs.get(chain_id, lab_id)


async def list_labs(
    transactions: Transactions, chain_id: UUID, limit: int, offset: int
) -> list[LabRecord]:
    async with transactions.begin() as stores:
        return await stores.labs.list_labs(chain_id, limit, offset)


async def issue_key(
    transactions: Transactions,
    *,
    chain_id: UUID,
    lab_id: UUID,
    label: str | None,
    now: datetime,
    new_id: NewId,
) -> IssuedKey:
    """A new API key for a lab of the chain (``UnknownLab`` otherwise)."""
    async with transactions.begin() as stores:
        if await stores.labs.get(chain_id, lab_id) is None:
            raise UnknownLab(f"lab {lab_id} not found")
        return await stores.labs.issue_key(key_id=new_id(), lab_id=lab_id, label=label, now=now)


async def list_keys(transactions: Transactions, chain_id: UUID, lab_id: UUID) -> list[LabKey]:
    async with transactions.begin() as stores:
        if await stores.labs.get(chain_id, lab_id) is None:
            raise UnknownLab(f"lab {lab_id} not found")
        return await stores.labs.list_keys(lab_id)


async def revoke_key(
    transactions: Transactions, *, chain_id: UUID, lab_id: UUID, key_id: UUID, now: datetime
) -> LabKey | None:
    """Revoke a key of a lab of the chain (``UnknownLab``); None when the lab has no such key."""
    async with transactions.begin() as stores:
        if await stores.labs.get(chain_id, lab_id) is None:
            raise UnknownLab(f"lab {lab_id} not found")
        return await stores.labs.revoke_key(lab_id=lab_id, key_id=key_id, now=now)
