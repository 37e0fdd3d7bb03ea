"""Staff accounts: add and change the chain's users (who may do so is the HTTP layer's check,
``intake.entrypoints.http.users``). Passwords are hashed before the transaction opens, so no
database connection waits for Argon2."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from etapa_contracts.events import UserChanged, UserUpserted
from intake.domain.records import User
from intake.domain.users import UnknownBranches, revoking_changes
from intake.usecases.ports import NewId, Passwords, Stores, Transactions
from shared.auth import Role
from shared.logging import current_correlation_id


@dataclass(frozen=True, slots=True)
class NewUser:
    email: str
    name: str
    role: Role
    branch_ids: frozenset[UUID]
    password: str


@dataclass(frozen=True, slots=True)
class UserChanges:
    """What a ``PATCH`` changes; None: unchanged."""

    name: str | None = None
    role: Role | None = None
    branch_ids: frozenset[UUID] | None = None
    active: bool | None = None
    password: str | None = None


async def check_branches(stores: Stores, chain_id: UUID, branch_ids: Iterable[UUID]) -> None:
    wanted = set(branch_ids)
    if not wanted:
        return
    missing = wanted - await stores.directory.existing_branches(chain_id, wanted)
    if missing:
        raise UnknownBranches(", ".join(sorted(str(b) for b in missing)))


async def add_user(
    stores: Stores, chain_id: UUID, user: NewUser, password_hash: str, new_id: NewId
) -> User:
    """Add ``user`` inside the caller's transaction (``EmailTaken``, ``UnknownBranches``)."""
    await check_branches(stores, chain_id, user.branch_ids)
    created = await stores.users.create(
        user_id=new_id(),
        chain_id=chain_id,
        email=user.email,
        name=user.name,
        role=user.role.value,
        branch_ids=sorted(user.branch_ids),
        password_hash=password_hash,
    )
    await publish(stores, created)
    return created


async def publish(stores: Stores, user: User) -> None:
    """Tell workflow who the person is now (``user.upserted.v1``, in the caller's transaction)."""
    await stores.outbox.enqueue(
        UserUpserted(
            occurred_at=user.updated_at,
            correlation_id=current_correlation_id(),
            chain_id=user.chain_id,
            user_id=user.user_id,
            name=user.name,
            role=user.role,
            branch_ids=tuple(user.branch_ids),
            active=user.active,
        )
    )


async def create_user(
    transactions: Transactions,
    passwords: Passwords,
    chain_id: UUID,
    user: NewUser,
    new_id: NewId,
) -> User:
    password_hash = await passwords.hash(user.password)
    async with transactions.begin() as stores:
        return await add_user(stores, chain_id, user, password_hash, new_id)


async def update_user(
    transactions: Transactions,
    passwords: Passwords,
    chain_id: UUID,
    user_id: UUID,
    changes: UserChanges,
    now: datetime,
) -> User | None:
    """Apply ``changes``; None when the chain has no such user.

    Deactivating the user or changing their role, branches or password revokes the tokens they
    hold, in the same transaction: intake records from when their tokens count and publishes
    ``user.changed.v1``, so every API refuses the older tokens within a second or two.
    """
    password_hash = None if changes.password is None else await passwords.hash(changes.password)
    async with transactions.begin() as stores:
        if changes.branch_ids is not None:
            await check_branches(stores, chain_id, changes.branch_ids)
        current = await stores.users.get(chain_id, user_id)
        if current is None:
            return None
        revoking = revoking_changes(
            current,
            role=None if changes.role is None else changes.role.value,
            branch_ids=changes.branch_ids,
            active=changes.active,
            password_changed=changes.password is not None,
        )
        updated = await stores.users.update(
            chain_id,
            user_id,
            name=changes.name,
            role=None if changes.role is None else changes.role.value,
            branch_ids=None if changes.branch_ids is None else sorted(changes.branch_ids),
            active=changes.active,
            password_hash=password_hash,
        )
        if revoking:
            await stores.users.revoke_tokens(chain_id, user_id, now)
            await stores.outbox.enqueue(
                UserChanged(
                    occurred_at=now,
                    correlation_id=current_correlation_id(),
                    chain_id=chain_id,
                    user_id=user_id,
                    valid_since=now,
                    changes=tuple(revoking),
                )
            )
        if updated is not None:
            await publish(stores, updated)
        return updated


async def get_user(transactions: Transactions, chain_id: UUID, user_id: UUID) -> User | None:
    async with transactions.begin() as stores:
        return await stores.users.get(chain_id, user_id)


async def list_users(
    transactions: Transactions,
    chain_id: UUID,
    branches: frozenset[UUID] | None,
    limit: int,
    offset: int,
) -> list[User]:
    """Users of the chain; with ``branches``, only those working in one of them."""
    async with transactions.begin() as stores:
        return await stores.users.list_users(chain_id, branches, limit, offset)
