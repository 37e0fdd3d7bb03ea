"""Intake's composition root: settings, clock, ids, stores, runtime and HTTP app are built
here only."""

from __future__ import annotations

from uuid import uuid4

import asyncpg
from litestar import Litestar
from litestar.di import Provide

from intake.adapters.passwords import Argon2Passwords
from intake.adapters.postgres import MIGRATIONS
from intake.adapters.postgres.transactions import PostgresTransactions
from intake.adapters.sign_in_guard import SignInGuard
from intake.config import IntakeSettings
from intake.entrypoints.consumers import (
    document_lab_message,
    subscribe_events,
    subscribe_lab_queue,
)
from intake.entrypoints.http.actions import ActionController
from intake.entrypoints.http.auth import AuthController
from intake.entrypoints.http.directory import BranchController, ChainController
from intake.entrypoints.http.lab_updates import LabUpdateController
from intake.entrypoints.http.labs import LabController
from intake.entrypoints.http.orders import OrderController
from intake.entrypoints.http.users import UserController
from shared.auth import TokenIssuer
from shared.clock import Clock, system_clock
from shared.messaging import Subscriptions
from shared.runtime import ServiceRuntime
from shared.web import create_service_app

__all__ = ["MIGRATIONS", "create_app", "create_runtime"]


def create_runtime(settings: IntakeSettings, clock: Clock = system_clock) -> ServiceRuntime:
    def register(subscriptions: Subscriptions, pool: asyncpg.Pool) -> None:
        subscribe_events(subscriptions)
        subscribe_lab_queue(
            runtime.broker,
            subscriptions,
            settings.service.topology,
            pool,
            clock,
            settings.lab_time_window,
        )

    runtime = ServiceRuntime(
        settings.service,
        MIGRATIONS,
        register=register,
        description="Intake: orders opened at the counter, their actions, branches, and the "
        "labs' status messages.",
        amend_asyncapi=document_lab_message(settings.service.topology),
    )
    return runtime


def create_app(settings: IntakeSettings | None = None, clock: Clock = system_clock) -> Litestar:
    settings = settings or IntakeSettings.from_env()
    runtime = create_runtime(settings, clock)
    issuer = TokenIssuer(settings.jwt_private_key, settings.token_ttl)
    sign_in_guard = SignInGuard(settings.sign_in_limits)
    passwords = Argon2Passwords()

    def transactions() -> PostgresTransactions:
        pool = runtime.database_pool()
        if pool is None:  # before the lifespan opened it: a database outage to the client (503)
            raise ConnectionRefusedError("intake's database pool is not open yet")
        return PostgresTransactions(pool)

    return create_service_app(
        settings=settings.service,
        route_handlers=[
            AuthController,
            ChainController,
            BranchController,
            UserController,
            OrderController,
            ActionController,
            LabController,
            LabUpdateController,
        ],
        checks=runtime.readiness_checks(),
        lifespan=[runtime.lifespan],
        asyncapi=runtime.asyncapi,
        # a lab's message is read (and kept, rejected with the reason) however deep its JSON
        raw_body_paths=["/api/v1/lab-updates"],
        dependencies={
            "transactions": Provide(transactions, sync_to_thread=False),
            "clock": Provide(lambda: clock, sync_to_thread=False),
            "new_id": Provide(lambda: uuid4, sync_to_thread=False),
            "passwords": Provide(lambda: passwords, sync_to_thread=False),
            "settings": Provide(lambda: settings, sync_to_thread=False),
            "issuer": Provide(lambda: issuer, sync_to_thread=False),
            "sign_in_guard": Provide(lambda: sign_in_guard, sync_to_thread=False),
        },
    )
