"""The chain directory's rows: chains and branches (rules in ``intake.domain.directory``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

import asyncpg

from etapa_contracts.events import BranchSnapshot, SendingWindow
from intake.domain.directory import DirectoryConflict
from intake.domain.records import Branch, Chain
from shared.database import Connection

BRANCH_COLUMNS = (
    "branch_id, chain_id, code, name, state, city, timezone, phone, address, opening_hours, "
    "sms_starts_at, sms_ends_at, sms_weekdays, updated_at"
)
_BRANCH_FIELDS = [c.strip() for c in BRANCH_COLUMNS.split(",")]


def branch_of(row: asyncpg.Record) -> Branch:
    values = {field: row[field] for field in _BRANCH_FIELDS}
    return Branch(**values | {"sms_weekdays": list(row["sms_weekdays"])})


class PostgresDirectory:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def create_chain(self, chain_id: UUID, name: str) -> Chain:
        try:
            row = await self._conn.fetchrow(
                "INSERT INTO chains (chain_id, name) VALUES ($1, $2) "
                "RETURNING chain_id, name, created_at",
                chain_id,
                name,
            )
        except asyncpg.UniqueViolationError:
            raise DirectoryConflict(f"a chain named {name!r} already exists") from None
        assert row is not None  # INSERT … RETURNING always returns the row
        return Chain(**dict(row))

    async def ensure_chain(self, chain_id: UUID, name: str) -> None:
        await self._conn.execute(
            "INSERT INTO chains (chain_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            chain_id,
            name,
        )

    async def get_chain(self, chain_id: UUID) -> Chain | None:
        row = await self._conn.fetchrow(
            "SELECT chain_id, name, created_at FROM chains WHERE chain_id = $1", chain_id
        )
        return Chain(**dict(row)) if row else None

    async def branch_code(self, chain_id: UUID, branch_id: UUID) -> str | None:
        code: str | None = await self._conn.fetchval(
            "SELECT code FROM branches WHERE branch_id = $1 AND chain_id = $2",
            branch_id,
            chain_id,
        )
        return code

    async def upsert_branch(
        self, chain_id: UUID, snapshot: BranchSnapshot, window: SendingWindow, now: datetime
    ) -> Branch | None:
        try:
            row = await self._conn.fetchrow(
                f"""
                INSERT INTO branches (branch_id, chain_id, code, name, state, city, timezone,
                                      phone, sms_starts_at, sms_ends_at, sms_weekdays,
                                      updated_at, address, opening_hours)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                ON CONFLICT (branch_id) DO UPDATE SET
                    code = EXCLUDED.code, name = EXCLUDED.name, state = EXCLUDED.state,
                    city = EXCLUDED.city, timezone = EXCLUDED.timezone, phone = EXCLUDED.phone,
                    address = EXCLUDED.address, opening_hours = EXCLUDED.opening_hours,
                    sms_starts_at = EXCLUDED.sms_starts_at, sms_ends_at = EXCLUDED.sms_ends_at,
                    sms_weekdays = EXCLUDED.sms_weekdays, updated_at = EXCLUDED.updated_at
                WHERE branches.chain_id = EXCLUDED.chain_id
                RETURNING {BRANCH_COLUMNS}
                """,
                snapshot.branch_id,
                chain_id,
                snapshot.code,
                snapshot.name,
                snapshot.state,
                snapshot.city,
                snapshot.timezone,
                snapshot.phone,
                window.starts_at,
                window.ends_at,
                list(window.weekdays),
                now,
                snapshot.address,
                snapshot.opening_hours,
            )
        except asyncpg.UniqueViolationError:
            raise DirectoryConflict(
                f"branch code {snapshot.code!r} is already used in this chain"
            ) from None
        return branch_of(row) if row else None

    async def get_branch(self, chain_id: UUID, branch_id: UUID) -> Branch | None:
        row = await self._conn.fetchrow(
            f"SELECT {BRANCH_COLUMNS} FROM branches WHERE chain_id = $1 AND branch_id = $2",
            chain_id,
            branch_id,
        )
        return branch_of(row) if row else None

    async def list_branches(
        self, chain_id: UUID, branches: frozenset[UUID] | None, limit: int, offset: int
    ) -> list[Branch]:
        rows = await self._conn.fetch(
            f"""
            SELECT {BRANCH_COLUMNS} FROM branches
            WHERE chain_id = $1 AND ($2::uuid[] IS NULL OR branch_id = ANY($2::uuid[]))
            ORDER BY code LIMIT $3 OFFSET $4
            """,
            chain_id,
            None if branches is None else list(branches),
            limit + 1,
            offset,
        )
        return [branch_of(r) for r in rows]

    async def existing_branches(self, chain_id: UUID, branch_ids: Iterable[UUID]) -> set[UUID]:
        rows = await self._conn.fetch(
            "SELECT branch_id FROM branches WHERE chain_id = $1 AND branch_id = ANY($2::uuid[])",
            chain_id,
            list(branch_ids),
        )
        return {r["branch_id"] for r in rows}
