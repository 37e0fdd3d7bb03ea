"""Demo data for ``make run``: one chain, three branches in different states, one lab."""

from __future__ import annotations

from intake import directory, labs
from intake.config import IntakeSettings
from shared.clock import system_clock
from shared.database import create_pool
from shared.demo import DEMO_BRANCHES, DEMO_CHAIN_ID, DEMO_CHAIN_NAME
from shared.events import SendingWindow
from shared.logging import correlation_scope, get_logger
from shared.runtime import migrate_service_database

log = get_logger(__name__)

DEMO_LAB_CODE = "LABDEMO"
DEMO_LAB_NAME = "Laboratório Demo"


async def seed_demo(settings: IntakeSettings) -> None:
    from intake.app import MIGRATIONS

    await migrate_service_database(settings.service.database_url, MIGRATIONS)
    pool = await create_pool(settings.service.database_url)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO chains (chain_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                DEMO_CHAIN_ID,
                DEMO_CHAIN_NAME,
            )
            with correlation_scope("demo-seed"):
                for branch in DEMO_BRANCHES:
                    await directory.upsert_branch(
                        conn,
                        chain_id=DEMO_CHAIN_ID,
                        snapshot=branch.snapshot(),
                        window=SendingWindow(),
                        now=system_clock(),
                    )
            if await labs.lab_by_code(conn, DEMO_LAB_CODE) is None:
                await labs.create_lab(
                    conn,
                    chain_id=DEMO_CHAIN_ID,
                    code=DEMO_LAB_CODE,
                    name=DEMO_LAB_NAME,
                    now=system_clock(),
                )
    finally:
        await pool.close()
    log.info(
        "demo_seeded",
        chain=DEMO_CHAIN_NAME,
        branches=[b.code for b in DEMO_BRANCHES],
        lab=DEMO_LAB_CODE,
    )
