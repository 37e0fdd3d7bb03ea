"""Notifier's composition root: settings, providers, stores, use cases, loops, runtime, HTTP app.

The only module that knows every part: it builds the PostgreSQL stores and the providers and
hands them to the use cases, the consumers, the dispatcher loop and the HTTP controllers.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from pathlib import Path

import asyncpg
from litestar import Litestar
from litestar.di import Provide

from notifier.adapters.holiday_calendar import closed_days
from notifier.adapters.holiday_calendar import warm as warm_closed_days
from notifier.adapters.postgres.stores import PostgresStores, PostgresUnitOfWork
from notifier.adapters.providers.factory import create_provider
from notifier.adapters.providers.traced import TracedProvider
from notifier.config import NotifierSettings
from notifier.domain.window import years_ahead
from notifier.entrypoints.consumers import NotifierHandlers
from notifier.entrypoints.http.messages import MessageController
from notifier.entrypoints.http.opt_outs import OptOutController
from notifier.entrypoints.http.providers import CallbackSettings, ProviderCallbackController
from notifier.entrypoints.http.sms_settings import SmsSettingsController
from notifier.entrypoints.loops import (
    EARLY_REPORTS,
    EARLY_REPORTS_DEADLINE,
    DispatcherLoop,
    LoopHealth,
    early_reports_loop,
)
from notifier.usecases.dispatch import ClosedDays, DispatchMessages, DispatchPolicy
from notifier.usecases.send_round import Providers
from shared.clock import Clock, system_clock
from shared.database import is_database_outage
from shared.logging import get_logger
from shared.messaging import Subscriptions
from shared.runtime import ServiceRuntime
from shared.tracing import configure_tracing, tracer
from shared.web import create_service_app

log = get_logger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
_jitter = random.Random()  # noqa: S311 - spreading retries, not security


def create_providers(settings: NotifierSettings) -> Providers:
    fallback = settings.fallback_provider
    spans = tracer("notifier")  # a span per provider request (no-op while tracing is off)
    return Providers(
        primary=TracedProvider(create_provider(settings.sms_provider, settings), spans),
        fallback=TracedProvider(create_provider(fallback, settings), spans) if fallback else None,
        fallback_after=settings.fallback_after,
    )


def dispatch_policy(settings: NotifierSettings) -> DispatchPolicy:
    return DispatchPolicy(
        max_attempts=settings.max_attempts,
        send_tries=settings.send_tries,
        send_timeout=settings.send_timeout,
        retry_base_delay=settings.retry_base_delay,
        max_segments=settings.max_segments,
        respect_sending_hours=settings.sending_hours == "branch",
    )


def handlers() -> NotifierHandlers:
    """The event handlers, writing through PostgreSQL stores on the inbox's connection."""
    return NotifierHandlers(PostgresStores, uuid.uuid4)


def dispatcher(
    pool: asyncpg.Pool,
    providers: Providers,
    clock: Clock,
    closed: ClosedDays = closed_days,
    *,
    policy: DispatchPolicy,
    tracking_base_url: str | None,
    interval: float,
    batch_size: int = 20,
    health: LoopHealth | None = None,
    wake: asyncio.Event | None = None,
    stop_grace: float = 5.0,
) -> DispatcherLoop:
    """The dispatcher loop over PostgreSQL; ``/ready`` fails when it stops completing rounds."""
    dispatch = DispatchMessages(
        PostgresUnitOfWork(pool),
        providers,
        clock,
        closed,
        policy=policy,
        tracking_base_url=tracking_base_url,
        jitter=_jitter.random,
        is_outage=is_database_outage,
    )
    return DispatcherLoop(
        dispatch,
        interval=interval,
        batch_size=batch_size,
        health=health,
        deadline=dispatcher_deadline(policy),
        wake=wake,
        tracer=tracer("notifier"),
        stop_grace=stop_grace,
    )


def dispatcher_deadline(policy: DispatchPolicy) -> float:
    """Seconds without a completed round before ``/ready`` says the dispatcher is stuck."""
    return 2 * policy.lease_seconds + 30.0


def create_runtime(settings: NotifierSettings, clock: Clock = system_clock) -> ServiceRuntime:
    consumers = handlers()
    create_providers(settings)  # fail at start, naming the variable, when a setting is missing
    policy = dispatch_policy(settings)
    health = LoopHealth()
    # Expected from now on, so that a dispatcher that never starts turns /ready red too.
    health.register(DispatcherLoop.NAME, dispatcher_deadline(policy))
    health.register(EARLY_REPORTS, EARLY_REPORTS_DEADLINE)

    wake = asyncio.Event()  # a message committed by this process's consumer: send it now

    def register(subscriptions: Subscriptions, _pool: asyncpg.Pool) -> None:
        consumers.register(subscriptions, recorded=wake.set)

    async def dispatch(pool: asyncpg.Pool) -> None:
        try:  # now, not on the first SMS; a failure here only leaves it to the first SMS
            await asyncio.to_thread(warm_closed_days, years_ahead(clock()))
        except Exception:
            log.exception("closed_days_not_warmed")
        loop = dispatcher(
            pool,
            create_providers(settings),
            clock,
            policy=policy,
            tracking_base_url=settings.tracking_base_url,
            interval=settings.dispatch_interval,
            batch_size=settings.batch_size,
            health=health,
            wake=wake,
            stop_grace=settings.stop_grace,
        )
        await loop.run()

    async def early_reports(pool: asyncpg.Pool) -> None:
        await early_reports_loop(PostgresUnitOfWork(pool), clock, health).run()

    return ServiceRuntime(
        settings.service,
        MIGRATIONS,
        register=register,
        loops=(dispatch, early_reports),
        description="Notifier: the customer's SMS at the stages that matter, and their status.",
        loop_health=health,
    )


def create_app(settings: NotifierSettings | None = None) -> Litestar:
    settings = settings or NotifierSettings.from_env()
    configure_tracing(settings.service.service)  # off unless OTEL_EXPORTER_OTLP_ENDPOINT
    runtime = create_runtime(settings)
    callbacks = CallbackSettings(
        token=settings.callback_token,
        twilio_auth_token=settings.providers.twilio_auth_token,
        public_url=settings.public_url,
        clock=system_clock,
    )

    def unit_of_work() -> PostgresUnitOfWork:
        pool = runtime.database_pool()
        if pool is None:
            raise RuntimeError("database pool not started")
        return PostgresUnitOfWork(pool)

    return create_service_app(
        settings=settings.service,
        route_handlers=[
            MessageController,
            OptOutController,
            ProviderCallbackController,
            SmsSettingsController,
        ],
        checks=runtime.readiness_checks(),
        lifespan=[runtime.lifespan],
        asyncapi=runtime.asyncapi,
        dependencies={
            "uow": Provide(unit_of_work, sync_to_thread=False),
            "callbacks": Provide(lambda: callbacks, sync_to_thread=False),
            "clock": Provide(lambda: system_clock, sync_to_thread=False),
        },
    )
