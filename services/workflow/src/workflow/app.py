"""Workflow's composition root: settings, calendars, handlers, runtime and HTTP app."""

from __future__ import annotations

from pathlib import Path

import asyncpg
from litestar import Litestar
from litestar.di import Provide

from shared.events import BranchUpserted, NotificationStatus, OrderOpened
from shared.messaging import Subscriptions
from shared.runtime import ServiceRuntime
from shared.web import create_service_app, database_check
from workflow.adapters.calendars import CalendarCache
from workflow.api.orders import OrderController
from workflow.api.service_types import ServiceTypeController
from workflow.config import WorkflowSettings
from workflow.service import WorkflowHandlers

MIGRATIONS = Path(__file__).parent / "migrations"


def create_runtime(settings: WorkflowSettings) -> ServiceRuntime:
    handlers = WorkflowHandlers(CalendarCache())

    def register(subscriptions: Subscriptions, _pool: asyncpg.Pool) -> None:
        subscriptions.add(BranchUpserted, handlers.on_branch_upserted)
        subscriptions.add(OrderOpened, handlers.on_order_opened)
        subscriptions.add(NotificationStatus, handlers.on_notification_status)

    return ServiceRuntime(settings.service, MIGRATIONS, register=register)


def create_app(settings: WorkflowSettings | None = None) -> Litestar:
    settings = settings or WorkflowSettings.from_env()
    runtime = create_runtime(settings)
    return create_service_app(
        settings=settings.service,
        route_handlers=[OrderController, ServiceTypeController],
        checks={"database": database_check(runtime.database_pool), "broker": runtime.broker_ready},
        lifespan=[runtime.lifespan],
        dependencies={"pool": Provide(runtime.database_pool, sync_to_thread=False)},
    )
