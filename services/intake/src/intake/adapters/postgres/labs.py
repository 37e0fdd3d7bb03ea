"""Labs' rows and their API keys' (rules in ``intake.domain.labs``): only a key's SHA-256 is
stored; the key itself is made here, from 32 random bytes, and shown once."""

from __future__ import annotations

import secrets
from datetime import datetime
from uuid import UUID

import asyncpg

from intake.domain.labs import KEY_PREFIX, SHOWN_PREFIX_LENGTH, LabCodeTaken, key_hash
from intake.domain.records import IssuedKey, Lab, LabKey, LabRecord
from shared.database import Connection

_LAB_COLUMNS = "lab_id, chain_id, code, name, created_at"
_KEY_COLUMNS = "key_id, lab_id, key_prefix, label, created_at, revoked_at"


def new_key_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


class PostgresLabs:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def create(
        self, *, lab_id: UUID, chain_id: UUID, code: str, name: str, now: datetime
    ) -> LabRecord:
        try:
            row = await self._conn.fetchrow(
                f"INSERT INTO labs (lab_id, chain_id, code, name, created_at) "
                f"VALUES ($1, $2, $3, $4, $5) RETURNING {_LAB_COLUMNS}",
                lab_id,
                chain_id,
                code,
                name,
                now,
            )
        except asyncpg.UniqueViolationError:
            raise LabCodeTaken(f"lab code {code!r} is already taken") from None
        assert row is not None  # INSERT … RETURNING always returns the row
        await self._conn.execute(
            "UPDATE lab_messages SET chain_id = $1 WHERE chain_id IS NULL AND lab_code = $2",
            chain_id,
            code,
        )
        return LabRecord(**dict(row))

    async def get(self, chain_id: UUID, lab_id: UUID) -> LabRecord | None:
        row = await self._conn.fetchrow(
            f"SELECT {_LAB_COLUMNS} FROM labs WHERE lab_id = $1 AND chain_id = $2",
            lab_id,
            chain_id,
        )
        return LabRecord(**dict(row)) if row else None

    async def list_labs(self, chain_id: UUID, limit: int, offset: int) -> list[LabRecord]:
        rows = await self._conn.fetch(
            f"SELECT {_LAB_COLUMNS} FROM labs WHERE chain_id = $1 ORDER BY code LIMIT $2 OFFSET $3",
            chain_id,
            limit + 1,
            offset,
        )
        return [LabRecord(**dict(r)) for r in rows]

    async def by_code(self, code: str) -> Lab | None:
        row = await self._conn.fetchrow(
            "SELECT lab_id, chain_id, code, name FROM labs WHERE code = $1", code
        )
        return Lab(**dict(row)) if row else None

    async def in_chain(self, chain_id: UUID, code: str) -> bool:
        return bool(
            await self._conn.fetchval(
                "SELECT 1 FROM labs WHERE chain_id = $1 AND code = $2", chain_id, code
            )
        )

    async def issue_key(
        self, *, key_id: UUID, lab_id: UUID, label: str | None, now: datetime
    ) -> IssuedKey:
        secret = new_key_secret()
        row = await self._conn.fetchrow(
            f"""
            INSERT INTO lab_api_keys (key_id, lab_id, key_hash, key_prefix, label, created_at)
            VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_KEY_COLUMNS}
            """,
            key_id,
            lab_id,
            key_hash(secret),
            secret[:SHOWN_PREFIX_LENGTH],
            label,
            now,
        )
        assert row is not None  # INSERT … RETURNING always returns the row
        return IssuedKey(key=LabKey(**dict(row)), secret=secret)

    async def list_keys(self, lab_id: UUID) -> list[LabKey]:
        rows = await self._conn.fetch(
            f"SELECT {_KEY_COLUMNS} FROM lab_api_keys WHERE lab_id = $1 ORDER BY created_at",
            lab_id,
        )
        return [LabKey(**dict(r)) for r in rows]

    async def revoke_key(self, *, lab_id: UUID, key_id: UUID, now: datetime) -> LabKey | None:
        row = await self._conn.fetchrow(
            f"""
            UPDATE lab_api_keys SET revoked_at = coalesce(revoked_at, $3)
            WHERE key_id = $1 AND lab_id = $2 RETURNING {_KEY_COLUMNS}
            """,
            key_id,
            lab_id,
            now,
        )
        return LabKey(**dict(row)) if row else None

    async def lab_for_key(self, secret: str) -> Lab | None:
        row = await self._conn.fetchrow(
            """
            SELECT l.lab_id, l.chain_id, l.code, l.name FROM lab_api_keys k
            JOIN labs l USING (lab_id)
            WHERE k.key_hash = $1 AND k.revoked_at IS NULL
            """,
            key_hash(secret),
        )
        return Lab(**dict(row)) if row else None
