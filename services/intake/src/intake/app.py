"""Intake's composition root: settings, clock, runtime and HTTP app are built here only."""

from __future__ import annotations

from pathlib import Path

import asyncpg
from litestar import Litestar
from litestar.di import Provide

from intake import remakes
from intake.api.actions import ActionController
from intake.api.auth import AuthController
from intake.api.directory import BranchController, ChainController
from intake.api.lab_updates import LabUpdateController
from intake.api.labs import LabController
from intake.api.orders import OrderController
from intake.api.users import UserController
from intake.config import IntakeSettings
from intake.lab.consumer import document_lab_message, subscribe_lab_queue
from intake.service_types import on_service_type_published
from intake.sign_in_guard import SignInGuard
from shared.auth import TokenIssuer
from shared.clock import Clock, system_clock
from shared.events import OrderStageChanged, ServiceTypePublished
from shared.messaging import Subscriptions
from shared.runtime import ServiceRuntime
from shared.web import create_service_app, database_check

MIGRATIONS = Path(__file__).parent / "migrations"


def create_runtime(settings: IntakeSettings, clock: Clock = system_clock) -> ServiceRuntime:
    def register(subscriptions: Subscriptions, pool: asyncpg.Pool) -> None:
        subscriptions.add(ServiceTypePublished, on_service_type_published)
        subscriptions.add(OrderStageChanged, remakes.on_stage_changed)
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
        checks={"database": database_check(runtime.database_pool), "broker": runtime.broker_ready},
        lifespan=[runtime.lifespan],
        asyncapi=runtime.asyncapi,
        # a lab's message is read (and kept, rejected with the reason) however deep its JSON
        raw_body_paths=["/api/v1/lab-updates"],
        dependencies={
            "pool": Provide(runtime.database_pool, sync_to_thread=False),
            "clock": Provide(lambda: clock, sync_to_thread=False),
            "settings": Provide(lambda: settings, sync_to_thread=False),
            "issuer": Provide(lambda: issuer, sync_to_thread=False),
            "sign_in_guard": Provide(lambda: sign_in_guard, sync_to_thread=False),
        },
    )
