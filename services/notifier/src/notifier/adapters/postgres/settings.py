"""Tables ``branches`` (the notifier's copy: time zone, state, sending window) and
``chain_sms_settings`` (a chain's SMS options).

A branch first seen in an order is written with the default window and an ``updated_at`` a
century before the event, so that any ``branch.upserted`` wins over it.
"""

from __future__ import annotations

from uuid import UUID

from notifier.usecases.records import Branch, SmsSettings
from shared.database import Connection


class PostgresSettings:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def keep_branch(self, branch: Branch) -> bool:
        window = branch.window
        assert window is not None, "branch.upserted always carries its window"
        updated = await self._conn.fetchval(
            """
            INSERT INTO branches (branch_id, chain_id, name, state, city, timezone,
                window_starts_at, window_ends_at, window_weekdays, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (branch_id) DO UPDATE SET
                name = EXCLUDED.name, state = EXCLUDED.state, city = EXCLUDED.city,
                timezone = EXCLUDED.timezone, window_starts_at = EXCLUDED.window_starts_at,
                window_ends_at = EXCLUDED.window_ends_at,
                window_weekdays = EXCLUDED.window_weekdays, updated_at = EXCLUDED.updated_at
            WHERE branches.chain_id = EXCLUDED.chain_id
                AND branches.updated_at <= EXCLUDED.updated_at
            RETURNING true
            """,
            branch.branch_id,
            branch.chain_id,
            branch.name,
            branch.state,
            branch.city,
            branch.timezone,
            window.starts_at,
            window.ends_at,
            sorted(window.weekdays),
            branch.updated_at,
        )
        return bool(updated)

    async def ensure_branch(self, branch: Branch) -> None:
        await self._conn.execute(
            """
            INSERT INTO branches (branch_id, chain_id, name, state, city, timezone, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz - interval '100 years')
            ON CONFLICT (branch_id) DO NOTHING
            """,
            branch.branch_id,
            branch.chain_id,
            branch.name,
            branch.state,
            branch.city,
            branch.timezone,
            branch.updated_at,
        )

    async def branch_chain(self, branch_id: UUID) -> UUID | None:
        owner: UUID | None = await self._conn.fetchval(
            "SELECT chain_id FROM branches WHERE branch_id = $1", branch_id
        )
        return owner

    async def sms_settings(self, chain_id: UUID) -> SmsSettings | None:
        row = await self._conn.fetchrow(
            "SELECT transliterate, updated_at, updated_by FROM chain_sms_settings "
            "WHERE chain_id = $1",
            chain_id,
        )
        if row is None:
            return None
        return SmsSettings(chain_id, row["transliterate"], row["updated_at"], row["updated_by"])

    async def save_sms_settings(self, settings: SmsSettings) -> SmsSettings:
        row = await self._conn.fetchrow(
            """
            INSERT INTO chain_sms_settings (chain_id, transliterate, updated_at, updated_by)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (chain_id) DO UPDATE SET transliterate = EXCLUDED.transliterate,
                updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
            RETURNING transliterate, updated_at, updated_by
            """,
            settings.chain_id,
            settings.transliterate,
            settings.updated_at,
            settings.updated_by,
        )
        assert row is not None
        return SmsSettings(
            settings.chain_id, row["transliterate"], row["updated_at"], row["updated_by"]
        )
