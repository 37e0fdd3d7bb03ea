"""Revocation: a changed user's older tokens stop working on every service within a second.

Rules:
- When a user is deactivated, or their role, branches or password change, intake records in
  its own ``token_validity`` table, in the same transaction as the change, the moment from which
  the user's tokens count (``valid_since``), and puts ``user.changed.v1`` in its outbox
  (``intake.usecases.manage_users.update_user``; the row is written by ``record``).
- Every other service consumes ``user.changed.v1`` into its own ``token_validity`` table (the
  shared runtime registers the consumer; ``shared.wiring`` lists it).
- Each process keeps the table's recent rows in memory (:class:`TokenValidity`), reloaded every
  ``RELOAD_SECONDS``, and the token check refuses a token issued before its user's
  ``valid_since`` with a 401. Rows older than ``HORIZON`` are not loaded: no token lives that
  long (``INTAKE_TOKEN_TTL_MINUTES`` is at most a day).
- Tokens carry their issue time in milliseconds (``iat_ms``): a user who signs in again right
  after a change (same second) gets a token that counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from etapa_contracts.events import UserChanged
from shared.database import Connection
from shared.logging import get_logger
from shared.loops import LoopHealth, PollingLoop

log = get_logger(__name__)

VALIDITY_STATE_KEY = "token_validity"
"""Where a service's app state keeps its :class:`TokenValidity` (``shared.web``); the
runtime's lifespan (``shared.runtime``) keeps it loaded."""
RELOAD_SECONDS = 0.5
RELOAD_LOOP = "token-validity"
RELOAD_DEADLINE = 30.0
"""Seconds without a reload before ``/ready`` says this process may be honouring revoked
tokens."""
HORIZON = timedelta(days=2)


async def record(conn: Connection, chain_id: UUID, user_id: UUID, valid_since: datetime) -> None:
    """Tokens of ``user_id`` issued before ``valid_since`` no longer count (latest wins)."""
    await conn.execute(
        """
        INSERT INTO token_validity (user_id, chain_id, valid_since) VALUES ($1, $2, $3)
        ON CONFLICT (user_id) DO UPDATE
        SET valid_since = GREATEST(token_validity.valid_since, EXCLUDED.valid_since),
            recorded_at = now()
        """,
        user_id,
        chain_id,
        valid_since,
    )


async def on_user_changed(conn: Connection, event: UserChanged) -> None:
    """Keep the moment from which the user's tokens count; older tokens are refused."""
    await record(conn, event.chain_id, event.user_id, event.valid_since)
    log.info("user_tokens_revoked", user_id=str(event.user_id), changes=list(event.changes))


class TokenValidity:
    """This process's copy of ``token_validity``: who changed, and since when."""

    def __init__(self) -> None:
        self._valid_since: dict[UUID, float] = {}
        self.loaded = False

    def refuses(self, user_id: UUID, issued_at: float) -> bool:
        """Whether a token of ``user_id`` issued at ``issued_at`` (epoch seconds) is too old."""
        since = self._valid_since.get(user_id)
        return since is not None and issued_at < since

    def set(self, user_id: UUID, valid_since: datetime) -> None:
        self._valid_since[user_id] = valid_since.timestamp()

    async def reload(self, pool: asyncpg.Pool) -> None:
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT user_id, valid_since FROM token_validity"
                " WHERE recorded_at > now() - $1::interval",
                HORIZON,
            )
        self._valid_since = {r["user_id"]: r["valid_since"].timestamp() for r in rows}
        self.loaded = True

    async def keep_loaded(
        self,
        pool: asyncpg.Pool,
        interval: float = RELOAD_SECONDS,
        *,
        health: LoopHealth | None = None,
    ) -> None:
        """Reload for ever; a database outage keeps the last copy and tries again. A polling
        loop (``shared.loops``): ``/ready`` names ``token-validity`` when it stops reloading."""

        async def reload() -> bool:
            await self.reload(pool)
            return False

        loop = PollingLoop(
            RELOAD_LOOP, reload, interval=interval, deadline=RELOAD_DEADLINE, health=health
        )
        await loop.run()
