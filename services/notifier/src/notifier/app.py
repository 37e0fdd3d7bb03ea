"""Notifier's composition root: settings, provider, handlers, dispatcher, runtime, HTTP app."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
from litestar import Litestar
from litestar.di import Provide

from notifier.api.messages import MessageController
from notifier.api.opt_outs import OptOutController
from notifier.api.providers import CallbackSettings, ProviderCallbackController
from notifier.api.sms_settings import SmsSettingsController
from notifier.config import NotifierSettings
from notifier.dispatch import Dispatcher, DispatchPolicy
from notifier.holiday_days import closed_days
from notifier.providers.factory import create_provider
from notifier.sending import Providers
from notifier.service import NotifierHandlers
from shared.clock import Clock, system_clock
from shared.events import BranchUpserted, OrderClosed, OrderOpened, OrderStageChanged
from shared.messaging import Subscriptions
from shared.runtime import ServiceRuntime
from shared.web import create_service_app, database_check

MIGRATIONS = Path(__file__).parent / "migrations"


def create_providers(settings: NotifierSettings) -> Providers:
    fallback = settings.fallback_provider
    return Providers(
        primary=create_provider(settings.sms_provider, settings),
        fallback=create_provider(fallback, settings) if fallback else None,
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


def create_runtime(settings: NotifierSettings, clock: Clock = system_clock) -> ServiceRuntime:
    handlers = NotifierHandlers()
    create_providers(settings)  # fail at start, naming the variable, when a setting is missing
    wake = asyncio.Event()  # a committed message (or the contact it waited for): send now

    def register(subscriptions: Subscriptions, _pool: asyncpg.Pool) -> None:
        subscriptions.add(OrderOpened, handlers.on_order_opened, after_commit=wake.set)
        subscriptions.add(OrderStageChanged, handlers.on_stage_changed, after_commit=wake.set)
        subscriptions.add(BranchUpserted, handlers.on_branch_upserted)
        subscriptions.add(OrderClosed, handlers.on_order_closed)

    async def dispatch(pool: asyncpg.Pool) -> None:
        dispatcher = Dispatcher(
            pool,
            create_providers(settings),
            clock,
            closed_days,
            policy=dispatch_policy(settings),
            tracking_base_url=settings.tracking_base_url,
            interval=settings.dispatch_interval,
            batch_size=settings.batch_size,
            wake=wake,
        )
        await dispatcher.run()

    return ServiceRuntime(
        settings.service,
        MIGRATIONS,
        register=register,
        loops=(dispatch,),
        description="Notifier: the customer's SMS at the stages that matter, and their status.",
    )


def create_app(settings: NotifierSettings | None = None) -> Litestar:
    settings = settings or NotifierSettings.from_env()
    runtime = create_runtime(settings)
    callbacks = CallbackSettings(
        token=settings.callback_token,
        twilio_auth_token=settings.providers.twilio_auth_token,
        public_url=settings.public_url,
        clock=system_clock,
    )
    return create_service_app(
        settings=settings.service,
        route_handlers=[
            MessageController,
            OptOutController,
            ProviderCallbackController,
            SmsSettingsController,
        ],
        checks={"database": database_check(runtime.database_pool), "broker": runtime.broker_ready},
        lifespan=[runtime.lifespan],
        asyncapi=runtime.asyncapi,
        dependencies={
            "pool": Provide(runtime.database_pool, sync_to_thread=False),
            "callbacks": Provide(lambda: callbacks, sync_to_thread=False),
            "clock": Provide(lambda: system_clock, sync_to_thread=False),
        },
    )
