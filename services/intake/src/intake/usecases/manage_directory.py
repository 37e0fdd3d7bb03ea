"""The chain directory: a new chain with its first administrator, and branches. A branch change
publishes ``branch.upserted.v1`` in its transaction (rules: ``intake.domain.directory``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from etapa_contracts.events import BranchSnapshot, BranchUpserted, SendingWindow
from intake.domain.directory import DirectoryConflict, UnknownChain, check_code_change
from intake.domain.records import Branch, Chain, User
from intake.usecases.manage_users import NewUser, add_user
from intake.usecases.ports import NewId, Passwords, Stores, Transactions
from shared.logging import current_correlation_id


@dataclass(frozen=True, slots=True)
class CreatedChain:
    chain: Chain
    admin: User


async def create_chain(
    transactions: Transactions,
    passwords: Passwords,
    *,
    name: str,
    admin: NewUser,
    new_id: NewId,
) -> CreatedChain:
    """A chain and its first administrator, in one transaction (``DirectoryConflict`` for a
    taken name, ``EmailTaken`` for a taken e-mail)."""
    password_hash = await passwords.hash(admin.password)
    async with transactions.begin() as stores:
        chain = await stores.directory.create_chain(new_id(), name)
        user = await add_user(stores, chain.chain_id, admin, password_hash, new_id)
    return CreatedChain(chain, user)


async def get_chain(transactions: Transactions, chain_id: UUID) -> Chain | None:
    async with transactions.begin() as stores:
        return await stores.directory.get_chain(chain_id)


async def save_branch(
    transactions: Transactions,
    *,
    chain_id: UUID,
    snapshot: BranchSnapshot,
    window: SendingWindow,
    now: datetime,
) -> Branch:
    """Create or update a branch and publish ``branch.upserted.v1``; one transaction."""
    async with transactions.begin() as stores:
        return await upsert_branch(
            stores, chain_id=chain_id, snapshot=snapshot, window=window, now=now
        )


async def upsert_branch(
    stores: Stores,
    *,
    chain_id: UUID,
    snapshot: BranchSnapshot,
    window: SendingWindow,
    now: datetime,
) -> Branch:
    """``save_branch`` inside the caller's transaction (the demo seed saves several)."""
    chain = await stores.directory.get_chain(chain_id)
    if chain is None:
        raise UnknownChain(f"chain {chain_id} does not exist")
    current = await stores.directory.branch_code(chain_id, snapshot.branch_id)
    if current != snapshot.code:
        check_code_change(
            current,
            snapshot.code,
            branch_has_orders=current is not None
            and await stores.orders.branch_has_orders(snapshot.branch_id),
            code_numbered_orders=await stores.orders.code_numbered_orders(chain_id, snapshot.code),
        )
    branch = await stores.directory.upsert_branch(chain_id, snapshot, window, now)
    if branch is None:
        raise DirectoryConflict(f"branch {snapshot.branch_id} belongs to another chain")
    await stores.outbox.enqueue(
        BranchUpserted(
            occurred_at=now,
            correlation_id=current_correlation_id(),
            chain_id=chain_id,
            branch=snapshot.model_copy(update={"chain_name": chain.name}),
            sending_window=window,
        )
    )
    return branch


async def get_branch(transactions: Transactions, chain_id: UUID, branch_id: UUID) -> Branch | None:
    async with transactions.begin() as stores:
        return await stores.directory.get_branch(chain_id, branch_id)


async def list_branches(
    transactions: Transactions,
    chain_id: UUID,
    branches: frozenset[UUID] | None,
    limit: int,
    offset: int,
) -> list[Branch]:
    """The chain's branches by code; with ``branches``, only those."""
    async with transactions.begin() as stores:
        return await stores.directory.list_branches(chain_id, branches, limit, offset)
