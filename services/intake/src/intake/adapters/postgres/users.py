"""Staff accounts' rows: who may sign in, in which chain, with which role and branches."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from intake.domain.records import SignInCandidate, User
from intake.domain.users import EmailTaken
from shared import token_validity
from shared.database import Connection

COLUMNS = "user_id, chain_id, email, name, role, branch_ids, active, created_at, updated_at"


def _user(row: asyncpg.Record) -> User:
    return User(**dict(row) | {"branch_ids": list(row["branch_ids"])})


class PostgresUsers:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def create(
        self,
        *,
        user_id: UUID,
        chain_id: UUID,
        email: str,
        name: str,
        role: str,
        branch_ids: list[UUID],
        password_hash: str,
    ) -> User:
        try:
            row = await self._conn.fetchrow(
                f"""
                INSERT INTO users (user_id, chain_id, email, name, role, branch_ids,
                    password_hash)
                VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}
                """,
                user_id,
                chain_id,
                email,
                name,
                role,
                branch_ids,
                password_hash,
            )
        except asyncpg.UniqueViolationError:
            raise EmailTaken(f"e-mail {email} is already in use") from None
        assert row is not None  # INSERT … RETURNING always returns the row
        return _user(row)

    async def update(
        self,
        chain_id: UUID,
        user_id: UUID,
        *,
        name: str | None = None,
        role: str | None = None,
        branch_ids: list[UUID] | None = None,
        active: bool | None = None,
        password_hash: str | None = None,
    ) -> User | None:
        given = {
            "name": name,
            "role": role,
            "branch_ids": branch_ids,
            "active": active,
            "password_hash": password_hash,
        }
        changes = {column: value for column, value in given.items() if value is not None}
        assignments = [f"{column} = ${i}" for i, column in enumerate(changes, start=3)]
        row = await self._conn.fetchrow(
            f"""
            UPDATE users SET {", ".join([*assignments, "updated_at = now()"])}
            WHERE chain_id = $1 AND user_id = $2 RETURNING {COLUMNS}
            """,
            chain_id,
            user_id,
            *changes.values(),
        )
        return _user(row) if row else None

    async def get(self, chain_id: UUID, user_id: UUID) -> User | None:
        row = await self._conn.fetchrow(
            f"SELECT {COLUMNS} FROM users WHERE chain_id = $1 AND user_id = $2", chain_id, user_id
        )
        return _user(row) if row else None

    async def list_users(
        self, chain_id: UUID, branches: frozenset[UUID] | None, limit: int, offset: int
    ) -> list[User]:
        rows = await self._conn.fetch(
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
        return [_user(r) for r in rows]

    async def sign_in_candidate(self, email: str) -> SignInCandidate | None:
        row = await self._conn.fetchrow(
            "SELECT user_id, chain_id, name, role, branch_ids, password_hash, active "
            "FROM users WHERE lower(email) = lower($1)",
            email,
        )
        if row is None:
            return None
        return SignInCandidate(**dict(row) | {"branch_ids": list(row["branch_ids"])})

    async def revoke_tokens(self, chain_id: UUID, user_id: UUID, valid_since: datetime) -> None:
        await token_validity.record(self._conn, chain_id, user_id, valid_since)

    async def tokens_valid_since(self, user_id: UUID) -> datetime | None:
        valid_since: datetime | None = await self._conn.fetchval(
            "SELECT valid_since FROM token_validity WHERE user_id = $1", user_id
        )
        return valid_since
