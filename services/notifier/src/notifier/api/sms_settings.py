"""A chain's SMS options, set by its administrator: GSM-7 only (accents transliterated).

Why here: how a message is encoded is the notifier's business, and the option is per chain, so
it is kept in the notifier's own table (``chain_sms_settings``), read by the dispatcher with
each message. A chain that never set it sends accents as typed (UCS-2 when they need it).
Everyone in the chain reads it; only a chain administrator changes it.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg
from litestar import Controller, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody
from pydantic import BaseModel, ConfigDict, Field

from shared.auth import Principal, Role
from shared.clock import Clock
from shared.flags import Flag


class SmsSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    transliterate: Flag = Field(
        description='replace accents and typographic punctuation (ã→a, “→") so every SMS is '
        "GSM-7: 160 characters a segment instead of 70"
    )


class SmsSettingsOut(BaseModel):
    transliterate: bool
    updated_at: datetime | None
    updated_by: str | None


class SmsSettingsController(Controller):
    path = "/api/v1/sms-settings"
    tags = ["sms-settings"]

    @get("/")
    async def get_sms_settings(
        self, pool: NamedDependency[asyncpg.Pool], principal: NamedDependency[Principal]
    ) -> SmsSettingsOut:
        """The caller's chain's SMS options (defaults when never set)."""
        row = await pool.fetchrow(
            "SELECT transliterate, updated_at, updated_by FROM chain_sms_settings "
            "WHERE chain_id = $1",
            principal.chain_id,
        )
        if row is None:
            return SmsSettingsOut(transliterate=False, updated_at=None, updated_by=None)
        return SmsSettingsOut(**dict(row))

    @put("/")
    async def put_sms_settings(
        self,
        data: JSONBody[SmsSettingsIn],
        pool: NamedDependency[asyncpg.Pool],
        clock: NamedDependency[Clock],
        principal: NamedDependency[Principal],
    ) -> SmsSettingsOut:
        """Change the chain's SMS options; messages not yet sent follow the new choice."""
        principal.require_role(Role.CHAIN_ADMIN, action="alterar as opções de SMS da rede")
        row = await pool.fetchrow(
            """
            INSERT INTO chain_sms_settings (chain_id, transliterate, updated_at, updated_by)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (chain_id) DO UPDATE SET transliterate = EXCLUDED.transliterate,
                updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
            RETURNING transliterate, updated_at, updated_by
            """,
            principal.chain_id,
            data.transliterate,
            clock(),
            str(principal.user_id),
        )
        assert row is not None
        return SmsSettingsOut(**dict(row))
