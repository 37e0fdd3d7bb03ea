"""Notifier's composition root: settings, provider, handlers, dispatcher, runtime, HTTP app."""

from __future__ import annotations

from pathlib import Path

import asyncpg
from litestar import Litestar
from litestar.di import Provide

from notifier.api.messages import MessageController
from notifier.config import NotifierSettings
from notifier.dispatch import Dispatcher
from notifier.providers import SmsProvider
from notifier.providers.log import LogProvider
from notifier.service import NotifierHandlers
from shared.clock import Clock, system_clock
from shared.events import OrderOpened, OrderStageChanged
from shared.messaging import Subscriptions
from shared.runtime import ServiceRuntime
from shared.settings import SettingsError
from shared.web import create_service_app, database_check

MIGRATIONS = Path(__file__).parent / "migrations"


def create_provider(settings: NotifierSettings) -> SmsProvider:
    if settings.sms_provider == "log":
        return LogProvider()
    raise SettingsError(f"NOTIFIER_SMS_PROVIDER: unknown provider {settings.sms_provider!r}")


def create_runtime(settings: NotifierSettings, clock: Clock = system_clock) -> ServiceRuntime:
    handlers = NotifierHandlers()
    provider = create_provider(settings)

    def register(subscriptions: Subscriptions, _pool: asyncpg.Pool) -> None:
        subscriptions.add(OrderOpened, handlers.on_order_opened)
        subscriptions.add(OrderStageChanged, handlers.on_stage_changed)

    async def dispatch(pool: asyncpg.Pool) -> None:
        dispatcher = Dispatcher(
            pool,
            provider,
            clock,
            tracking_base_url=settings.tracking_base_url,
            interval=settings.dispatch_interval,
        )
        await dispatcher.run()

    return ServiceRuntime(settings.service, MIGRATIONS, register=register, loops=(dispatch,))


def create_app(settings: NotifierSettings | None = None) -> Litestar:
    settings = settings or NotifierSettings.from_env()
    runtime = create_runtime(settings)
    return create_service_app(
        settings=settings.service,
        route_handlers=[MessageController],
        checks={"database": database_check(runtime.database_pool), "broker": runtime.broker_ready},
        lifespan=[runtime.lifespan],
        dependencies={"pool": Provide(runtime.database_pool, sync_to_thread=False)},
    )
