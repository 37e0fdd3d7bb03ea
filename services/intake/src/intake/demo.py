"""Demo data for ``make run``: one chain, three branches, one user per role, one lab."""

from __future__ import annotations

from intake import directory, labs, users
from intake.config import IntakeSettings
from shared.auth import Role
from shared.clock import system_clock
from shared.database import Connection, create_pool
from shared.demo import DEMO_BRANCHES, DEMO_CHAIN_ID, DEMO_CHAIN_NAME
from shared.events import SendingWindow
from shared.logging import correlation_scope, get_logger
from shared.runtime import migrate_service_database
from shared.settings import refuse_demo_outside_development

log = get_logger(__name__)

DEMO_LAB_CODE = "LABDEMO"
DEMO_LAB_NAME = "Laboratório Demo"
DEMO_PASSWORD = "visao-clara-demo"  # noqa: S105 - printed by make run; demo data only
DEMO_USERS = (
    ("admin@visaoclara.demo", "Ana Administradora", Role.CHAIN_ADMIN, ()),
    ("gerente.sp@visaoclara.demo", "Gustavo Gerente", Role.BRANCH_MANAGER, ("SP01",)),
    ("atendente.sp@visaoclara.demo", "Alice Atendente", Role.ATTENDANT, ("SP01",)),
    ("atendente.rj@visaoclara.demo", "Rafael Atendente", Role.ATTENDANT, ("RJ01",)),
    ("consulta@visaoclara.demo", "Vera Consulta", Role.VIEWER, ()),
)


async def _seed_users(conn: Connection) -> None:
    branch_ids = {b.code: b.branch_id for b in DEMO_BRANCHES}
    for email, name, role, codes in DEMO_USERS:
        if await conn.fetchval("SELECT 1 FROM users WHERE lower(email) = $1", email):
            continue
        branches = frozenset(branch_ids[c] for c in codes)
        await users.create_user(
            conn, DEMO_CHAIN_ID, users.NewUser(email, name, role, branches, DEMO_PASSWORD)
        )


def demo_users_table() -> str:
    lines = [f"  Demo users (password for all: {DEMO_PASSWORD})"]
    for email, _name, role, codes in DEMO_USERS:
        lines.append(f"    {email:<32} {role.value:<15} {' '.join(codes) or 'toda a rede'}")
    return "\n".join(lines)


async def seed_demo(settings: IntakeSettings) -> None:
    from intake.app import MIGRATIONS

    refuse_demo_outside_development(settings.service)
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
            await _seed_users(conn)
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
