"""Demo data for ``make run``: one chain, three branches, one user per role, two labs."""

from __future__ import annotations

from uuid import uuid4

from etapa_contracts.events import SendingWindow
from intake.adapters.passwords import Argon2Passwords
from intake.adapters.postgres import MIGRATIONS
from intake.adapters.postgres.transactions import PostgresTransactions
from intake.config import IntakeSettings
from intake.usecases.manage_directory import upsert_branch
from intake.usecases.manage_users import NewUser, add_user
from intake.usecases.ports import Stores
from shared.auth import Role
from shared.clock import system_clock
from shared.database import create_pool
from shared.demo import DEMO_BRANCHES, DEMO_CHAIN_ID, DEMO_CHAIN_NAME, DEMO_LABS
from shared.logging import correlation_scope, get_logger
from shared.runtime import migrate_service_database
from shared.settings import refuse_demo_outside_development

log = get_logger(__name__)

DEMO_PASSWORD = "visao-clara-demo"  # noqa: S105 - printed by make run; demo data only
DEMO_USERS = (
    ("admin@visaoclara.demo", "Ana Administradora", Role.CHAIN_ADMIN, ()),
    ("gerente.sp@visaoclara.demo", "Gustavo Gerente", Role.BRANCH_MANAGER, ("SP01",)),
    ("atendente.sp@visaoclara.demo", "Alice Atendente", Role.ATTENDANT, ("SP01",)),
    ("atendente.rj@visaoclara.demo", "Rafael Atendente", Role.ATTENDANT, ("RJ01",)),
    ("consulta@visaoclara.demo", "Vera Consulta", Role.VIEWER, ()),
)


async def _seed_users(stores: Stores, password_hash: str) -> None:
    branch_ids = {b.code: b.branch_id for b in DEMO_BRANCHES}
    for email, name, role, codes in DEMO_USERS:
        if await stores.users.sign_in_candidate(email) is not None:
            continue
        branches = frozenset(branch_ids[c] for c in codes)
        await add_user(
            stores,
            DEMO_CHAIN_ID,
            NewUser(email, name, role, branches, DEMO_PASSWORD),
            password_hash,
            uuid4,
        )


def demo_users_table() -> str:
    lines = [f"  Demo users (password for all: {DEMO_PASSWORD})"]
    for email, _name, role, codes in DEMO_USERS:
        lines.append(f"    {email:<32} {role.value:<15} {' '.join(codes) or 'toda a rede'}")
    return "\n".join(lines)


async def seed_demo(settings: IntakeSettings) -> None:
    refuse_demo_outside_development(settings.service)
    await migrate_service_database(settings.service.database_direct_url, MIGRATIONS)
    password_hash = await Argon2Passwords().hash(DEMO_PASSWORD)
    pool = await create_pool(settings.service.database_direct_url)
    try:
        async with PostgresTransactions(pool).begin() as stores:
            await stores.directory.ensure_chain(DEMO_CHAIN_ID, DEMO_CHAIN_NAME)
            with correlation_scope("demo-seed"):
                for branch in DEMO_BRANCHES:
                    await upsert_branch(
                        stores,
                        chain_id=DEMO_CHAIN_ID,
                        snapshot=branch.snapshot(),
                        window=SendingWindow(),
                        now=system_clock(),
                    )
            await _seed_users(stores, password_hash)
            for code, name in DEMO_LABS:
                if await stores.labs.by_code(code) is None:
                    await stores.labs.create(
                        lab_id=uuid4(),
                        chain_id=DEMO_CHAIN_ID,
                        code=code,
                        name=name,
                        now=system_clock(),
                    )
    finally:
        await pool.close()
    log.info(
        "demo_seeded",
        chain=DEMO_CHAIN_NAME,
        branches=[b.code for b in DEMO_BRANCHES],
        labs=[code for code, _ in DEMO_LABS],
    )
