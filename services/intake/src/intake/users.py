"""Staff accounts: who may sign in, in which chain, with which role and branches.

Passwords are hashed with Argon2id (argon2-cffi); a failed sign-in for an unknown e-mail still
spends the time of one hash, so response times do not tell which e-mails exist.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shared.auth import Principal, Role
from shared.database import Connection
from shared.events import UserChangeKind

_hasher = PasswordHasher()
_UNKNOWN_USER_HASH = _hasher.hash("no such user")

COLUMNS = "user_id, chain_id, email, name, role, branch_ids, active, created_at, updated_at"


class EmailTaken(Exception):
    """Another account already uses this e-mail."""


class UnknownBranches(Exception):
    """Some branch ids are not branches of the chain."""


@dataclass(frozen=True, slots=True)
class NewUser:
    email: str
    name: str
    role: Role
    branch_ids: frozenset[UUID]
    password: str


async def hash_password(password: str) -> str:
    """Argon2id takes ~0.2 s of CPU on purpose: off the event loop, so the service stays up."""
    return await asyncio.to_thread(_hasher.hash, password)


async def check_branches(conn: Connection, chain_id: UUID, branch_ids: Iterable[UUID]) -> None:
    wanted = set(branch_ids)
    if not wanted:
        return
    found = await conn.fetch(
        "SELECT branch_id FROM branches WHERE chain_id = $1 AND branch_id = ANY($2::uuid[])",
        chain_id,
        list(wanted),
    )
    missing = wanted - {r["branch_id"] for r in found}
    if missing:
        raise UnknownBranches(", ".join(sorted(str(b) for b in missing)))


async def create_user(conn: Connection, chain_id: UUID, user: NewUser) -> dict[str, Any]:
    await check_branches(conn, chain_id, user.branch_ids)
    try:
        row = await conn.fetchrow(
            f"""
            INSERT INTO users (user_id, chain_id, email, name, role, branch_ids, password_hash)
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}
            """,
            uuid4(),
            chain_id,
            user.email,
            user.name,
            user.role.value,
            sorted(user.branch_ids),
            await hash_password(user.password),
        )
    except asyncpg.UniqueViolationError:
        raise EmailTaken(f"e-mail {user.email} is already in use") from None
    assert row is not None
    return dict(row)


async def update_user(
    conn: Connection, chain_id: UUID, user_id: UUID, changes: dict[str, Any]
) -> dict[str, Any] | None:
    """Apply the given changes (name, role, branch_ids, active, password)."""
    if "branch_ids" in changes:
        await check_branches(conn, chain_id, changes["branch_ids"])
        changes["branch_ids"] = sorted(changes["branch_ids"])
    if "role" in changes:
        changes["role"] = Role(changes["role"]).value
    if "password" in changes:
        changes["password_hash"] = await hash_password(changes.pop("password"))
    assignments = [f"{column} = ${i}" for i, column in enumerate(changes, start=3)]
    row = await conn.fetchrow(
        f"""
        UPDATE users SET {", ".join([*assignments, "updated_at = now()"])}
        WHERE chain_id = $1 AND user_id = $2 RETURNING {COLUMNS}
        """,
        chain_id,
        user_id,
        *changes.values(),
    )
    return dict(row) if row else None


def revoking_changes(
    current: Mapping[str, Any], changes: Mapping[str, Any]
) -> list[UserChangeKind]:
    """What in ``changes`` takes power away or changes it: the user's tokens must go."""
    kinds: list[UserChangeKind] = []
    if changes.get("active") is False and current["active"]:
        kinds.append("deactivated")
    if "role" in changes and Role(changes["role"]) is not Role(current["role"]):
        kinds.append("role")
    if "branch_ids" in changes and set(changes["branch_ids"]) != set(current["branch_ids"]):
        kinds.append("branches")
    if "password" in changes:
        kinds.append("password")
    return kinds


async def get_user(conn: Connection, chain_id: UUID, user_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM users WHERE chain_id = $1 AND user_id = $2", chain_id, user_id
    )
    return dict(row) if row else None


async def list_users(
    conn: Connection,
    chain_id: UUID,
    branches: frozenset[UUID] | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """Users of the chain; with ``branches``, only those working in one of them."""
    rows = await conn.fetch(
        f"""
        SELECT {COLUMNS} FROM users
        WHERE chain_id = $1 AND ($2::uuid[] IS NULL OR branch_ids && $2::uuid[])
        ORDER BY name, email LIMIT $3 OFFSET $4
        """,
        chain_id,
        None if branches is None else list(branches),
        limit + 1,
        offset,
    )
    return [dict(r) for r in rows]


async def sign_in_row(conn: Connection, email: str) -> asyncpg.Record | None:
    """The user that ``email`` names, with the password hash (none: unknown e-mail)."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT user_id, chain_id, name, role, branch_ids, password_hash, active "
        "FROM users WHERE lower(email) = lower($1)",
        email,
    )
    return row


async def verify_password(row: asyncpg.Record | None, password: str) -> Principal | None:
    """The principal of an active user whose password matches, else ``None``; an unknown user
    costs the same hash, off the event loop."""
    try:
        await asyncio.to_thread(
            _hasher.verify, row["password_hash"] if row else _UNKNOWN_USER_HASH, password
        )
    except (VerificationError, InvalidHashError):
        return None
    if row is None or not row["active"]:
        return None
    return principal_of(row)


async def authenticate(conn: Connection, email: str, password: str) -> Principal | None:
    """The principal of an active user whose password matches, else ``None``."""
    return await verify_password(await sign_in_row(conn, email), password)


def principal_of(row: Mapping[str, Any] | asyncpg.Record) -> Principal:
    """The principal a user row signs in as: its role and branches as they are now."""
    return Principal(
        user_id=row["user_id"],
        chain_id=row["chain_id"],
        role=Role(row["role"]),
        branch_ids=frozenset(row["branch_ids"]),
        name=row["name"],
    )
