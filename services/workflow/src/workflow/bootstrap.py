"""Workflow's composition root: settings, calendars, handlers, runtime and HTTP app."""

from __future__ import annotations

from uuid import uuid4

import asyncpg
from litestar import Litestar
from litestar.di import Provide

from etapa_contracts.events import (
    BranchUpserted,
    LabStatus,
    NotificationStatus,
    OrderAction,
    OrderOpened,
    UserUpserted,
)
from shared.clock import Clock, system_clock
from shared.loops import LoopHealth
from shared.messaging import Subscriptions
from shared.runtime import ServiceRuntime
from shared.tracing import configure_tracing
from shared.web import create_service_app
from workflow.adapters.dashboard_taps import declare_taps
from workflow.adapters.holidays import CalendarCache
from workflow.adapters.postgres.read_cache import ReadCaches
from workflow.config import MIGRATIONS, WorkflowSettings
from workflow.entrypoints.consumers import WorkflowHandlers
from workflow.entrypoints.http.analytics import AnalyticsController
from workflow.entrypoints.http.calendars import BranchCalendarController, OptionalDaysController
from workflow.entrypoints.http.city_calendars import CityCalendarController
from workflow.entrypoints.http.orders import OrderController
from workflow.entrypoints.http.process_review import ProcessReviewController
from workflow.entrypoints.http.quote import get_quote
from workflow.entrypoints.http.responsibles import PeopleController, ResponsibleController
from workflow.entrypoints.http.service_types import ServiceTypeController
from workflow.entrypoints.http.tracking import MissLimiter, TrackingPolicy, get_tracking
from workflow.entrypoints.loops import RiskSweeper, sweeper_deadline
from workflow.usecases.order_engine import OrderEngine


def create_engine(
    settings: WorkflowSettings,
    clock: Clock = system_clock,
    calendars: CalendarCache | None = None,
) -> OrderEngine:
    return OrderEngine(calendars or CalendarCache(), clock, settings.risk_share, new_id=uuid4)


def create_runtime(
    settings: WorkflowSettings,
    calendars: CalendarCache | None = None,
    clock: Clock = system_clock,
) -> ServiceRuntime:
    engine = create_engine(settings, clock, calendars)
    caches = ReadCaches()  # flow versions and branches, for the consumers and the sweeper
    handlers = WorkflowHandlers(engine, caches)

    def register(subscriptions: Subscriptions, _pool: asyncpg.Pool) -> None:
        subscriptions.add(BranchUpserted, handlers.on_branch_upserted)
        prepare = handlers.prepare_orders  # a batch's order locks, then its orders' rows
        subscriptions.add(OrderOpened, handlers.on_order_opened, prepare_batch=prepare)
        subscriptions.add(OrderAction, handlers.on_order_action, prepare_batch=prepare)
        subscriptions.add(LabStatus, handlers.on_lab_status, prepare_batch=prepare)
        subscriptions.add(NotificationStatus, handlers.on_notification_status)
        subscriptions.add(UserUpserted, handlers.on_user_upserted)

    health = LoopHealth()
    # Expected from now on, so that a sweeper that never starts turns /ready red too.
    health.register(RiskSweeper.NAME, sweeper_deadline(settings.risk_sweep_interval))

    async def risk_sweeper(pool: asyncpg.Pool) -> None:
        sweeper = RiskSweeper(
            pool,
            engine,
            clock,
            interval=settings.risk_sweep_interval,
            health=health,
            caches=caches,
        )
        await sweeper.run()

    async def dashboard_taps(_pool: asyncpg.Pool) -> None:
        await declare_taps(runtime.broker, settings.service.topology, runtime.broker_started)

    runtime = ServiceRuntime(
        settings.service,
        MIGRATIONS,
        register=register,
        loops=(risk_sweeper, dashboard_taps),
        description="Workflow: each order's stage, deadline and risk, from intake's events.",
        loop_health=health,
    )
    return runtime


def create_app(settings: WorkflowSettings | None = None) -> Litestar:
    settings = settings or WorkflowSettings.from_env()
    configure_tracing(settings.service.service)  # off unless OTEL_EXPORTER_OTLP_ENDPOINT
    calendars = CalendarCache()  # one per process: the consumers and the API share it
    runtime = create_runtime(settings, calendars)
    tracking = TrackingPolicy(
        days_after_close=settings.tracking_days_after_close,
        limiter=MissLimiter(settings.tracking_miss_limit),
        trusted_proxies=settings.tracking_trusted_proxies,
    )
    return create_service_app(
        settings=settings.service,
        route_handlers=[
            OrderController,
            ServiceTypeController,
            ResponsibleController,
            PeopleController,
            BranchCalendarController,
            OptionalDaysController,
            CityCalendarController,
            get_quote,
            AnalyticsController,
            ProcessReviewController,
            get_tracking,
        ],
        checks=runtime.readiness_checks(),
        lifespan=[runtime.lifespan],
        asyncapi=runtime.asyncapi,
        dependencies={
            "pool": Provide(runtime.database_pool, sync_to_thread=False),
            "clock": Provide(lambda: system_clock, sync_to_thread=False),
            "calendars": Provide(lambda: calendars, sync_to_thread=False),
            "new_id": Provide(lambda: uuid4, sync_to_thread=False),
            "tracking": Provide(lambda: tracking, sync_to_thread=False),
        },
    )
