"""Branches in PostgreSQL: workflow's copy of intake's branches, their calendar settings and
the chain's optional days ("pontos facultativos").

- The copy is kept from ``branch.upserted`` and ``order.opened`` events; an older snapshot
  never overwrites a newer one, and a branch id of another chain is never taken over.
- Each calendar change bumps the row's ``calendar_revision``, the key calendar caches check.
- A branch kept from ``branch.upserted`` takes the city's holiday list the chain imported, if
  any (``city_calendars.attach_to_branch``); a copy that no longer matches its city is cleared.
- A new branch takes the chain's optional days (a trigger); a change of the chain's choice is
  copied to each of its branches in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from uuid import UUID

import asyncpg

from etapa_contracts.events import BranchSnapshot
from shared.database import Connection
from workflow.adapters.postgres import city_calendars
from workflow.domain.calendar_settings import CalendarSettings
from workflow.domain.records import Branch, ChainOptionalDays, ImportedCityDay

BRANCH_COLUMNS = """
    branch_id, chain_id, code, name, state, city, timezone, phone, updated_at, address,
    opening_hours, chain_name, optional_days, calendar, calendar_revision, calendar_updated_at,
    calendar_updated_by, city_holidays
"""
_INSERT = """
    INSERT INTO branches (branch_id, chain_id, code, name, state, city, timezone, phone,
                          updated_at, address, opening_hours, chain_name)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
"""


class PostgresBranchStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def upsert(self, chain_id: UUID, branch: BranchSnapshot, as_of: datetime) -> None:
        """The chain's name is kept when a snapshot lacks it (an older producer); the address,
        phone and opening hours are the snapshot's, so a branch can clear them."""
        await self._conn.execute(
            _INSERT
            + """
            ON CONFLICT (branch_id) DO UPDATE SET
                code = EXCLUDED.code, name = EXCLUDED.name, state = EXCLUDED.state,
                city = EXCLUDED.city, timezone = EXCLUDED.timezone, phone = EXCLUDED.phone,
                address = EXCLUDED.address, opening_hours = EXCLUDED.opening_hours,
                chain_name = coalesce(EXCLUDED.chain_name, branches.chain_name),
                updated_at = EXCLUDED.updated_at
            WHERE branches.updated_at < EXCLUDED.updated_at
                AND branches.chain_id = EXCLUDED.chain_id
            """,
            *_values(chain_id, branch, as_of),
        )
        await city_calendars.attach_to_branch(self._conn, chain_id, branch.branch_id)

    async def ensure(self, chain_id: UUID, branch: BranchSnapshot, as_of: datetime) -> Branch:
        """A row without the chain's name (kept before the customer page existed) takes it."""
        await self._conn.execute(
            _INSERT
            + """
            ON CONFLICT (branch_id) DO UPDATE SET chain_name = EXCLUDED.chain_name
            WHERE branches.chain_name IS NULL AND EXCLUDED.chain_name IS NOT NULL
                AND branches.chain_id = EXCLUDED.chain_id
            """,
            *_values(chain_id, branch, as_of),
        )
        found = await self.get(chain_id, branch.branch_id)
        if found is None:
            raise LookupError(f"branch {branch.branch_id} belongs to another chain")
        return found

    async def get(self, chain_id: UUID, branch_id: UUID) -> Branch | None:
        row = await self._conn.fetchrow(
            f"SELECT {BRANCH_COLUMNS} FROM branches WHERE branch_id = $1 AND chain_id = $2",
            branch_id,
            chain_id,
        )
        return branch_from_row(row) if row else None

    async def save_calendar(
        self,
        chain_id: UUID,
        branch_id: UUID,
        settings: CalendarSettings,
        *,
        actor: str | None,
        now: datetime,
    ) -> Branch | None:
        row = await self._conn.fetchrow(
            f"""
            UPDATE branches SET calendar = $3, calendar_revision = calendar_revision + 1,
                calendar_updated_at = $4, calendar_updated_by = $5
            WHERE branch_id = $1 AND chain_id = $2
            RETURNING {BRANCH_COLUMNS}
            """,
            branch_id,
            chain_id,
            settings.to_json(),
            now,
            actor,
        )
        return branch_from_row(row) if row else None

    async def chain_optional_days(self, chain_id: UUID) -> ChainOptionalDays:
        row = await self._conn.fetchrow(
            "SELECT optional_days, updated_at, updated_by FROM chain_calendars WHERE chain_id = $1",
            chain_id,
        )
        if row is None:
            return ChainOptionalDays()
        return ChainOptionalDays(
            optional_days=tuple(row["optional_days"]),
            updated_at=row["updated_at"],
            updated_by=row["updated_by"],
        )

    async def set_chain_optional_days(
        self, chain_id: UUID, days: Iterable[str], *, actor: str | None, now: datetime
    ) -> list[UUID]:
        chosen = sorted(set(days))
        await self._conn.execute(
            """
            INSERT INTO chain_calendars (chain_id, optional_days, updated_at, updated_by)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (chain_id) DO UPDATE SET optional_days = EXCLUDED.optional_days,
                updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
            """,
            chain_id,
            chosen,
            now,
            actor,
        )
        rows = await self._conn.fetch(
            """
            UPDATE branches SET optional_days = $2, calendar_revision = calendar_revision + 1
            WHERE chain_id = $1 RETURNING branch_id
            """,
            chain_id,
            chosen,
        )
        return [row["branch_id"] for row in rows]


def branch_from_row(row: asyncpg.Record) -> Branch:
    return Branch(
        branch_id=row["branch_id"],
        chain_id=row["chain_id"],
        code=row["code"],
        name=row["name"],
        state=row["state"],
        city=row["city"],
        timezone=row["timezone"],
        updated_at=row["updated_at"],
        phone=row["phone"],
        address=row["address"],
        opening_hours=row["opening_hours"],
        chain_name=row["chain_name"],
        calendar=CalendarSettings.from_json(row["calendar"]),
        optional_days=frozenset(row["optional_days"] or ()),
        calendar_revision=row["calendar_revision"],
        calendar_updated_at=row["calendar_updated_at"],
        calendar_updated_by=row["calendar_updated_by"],
        city_holidays=_city_holidays(row.get("city_holidays")),
    )


def _city_holidays(stored: list[dict[str, str]] | None) -> tuple[ImportedCityDay, ...] | None:
    if stored is None:
        return None
    return tuple(
        ImportedCityDay(date.fromisoformat(item["date"]), item["name"], item.get("source"))
        for item in stored
    )


def _values(chain_id: UUID, branch: BranchSnapshot, as_of: datetime) -> tuple[object, ...]:
    return (
        branch.branch_id,
        chain_id,
        branch.code,
        branch.name,
        branch.state,
        branch.city,
        branch.timezone,
        branch.phone,
        as_of,
        branch.address,
        branch.opening_hours,
        branch.chain_name,
    )
