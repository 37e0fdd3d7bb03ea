"""Intake's composition root: settings, clock, runtime and HTTP app are built here only."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar
from litestar.di import Provide

from intake.api.auth import AuthController
from intake.api.directory import BranchController, ChainController
from intake.api.orders import OrderController
from intake.api.users import UserController
from intake.config import IntakeSettings
from shared.auth import TokenIssuer
from shared.clock import Clock, system_clock
from shared.runtime import ServiceRuntime
from shared.web import create_service_app, database_check

MIGRATIONS = Path(__file__).parent / "migrations"


def create_runtime(settings: IntakeSettings) -> ServiceRuntime:
    return ServiceRuntime(settings.service, MIGRATIONS)


def create_app(settings: IntakeSettings | None = None, clock: Clock = system_clock) -> Litestar:
    settings = settings or IntakeSettings.from_env()
    runtime = create_runtime(settings)
    issuer = TokenIssuer(settings.jwt_private_key, settings.token_ttl)
    return create_service_app(
        settings=settings.service,
        route_handlers=[
            AuthController,
            ChainController,
            BranchController,
            UserController,
            OrderController,
        ],
        checks={"database": database_check(runtime.database_pool), "broker": runtime.broker_ready},
        lifespan=[runtime.lifespan],
        dependencies={
            "pool": Provide(runtime.database_pool, sync_to_thread=False),
            "clock": Provide(lambda: clock, sync_to_thread=False),
            "settings": Provide(lambda: settings, sync_to_thread=False),
            "issuer": Provide(lambda: issuer, sync_to_thread=False),
        },
    )
