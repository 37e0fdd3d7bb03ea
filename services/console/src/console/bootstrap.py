"""The console's composition root: settings, the API client, the live feed, the web app.

Nothing is built at import time: :func:`create_app` makes the app from settings, and its
lifespan opens the HTTP client and the broker connection and closes them at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from faststream.rabbit import RabbitBroker, RabbitQueue
from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import DefineMiddleware
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.plugins.prometheus import PrometheusController
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from console.adapters.api_client import ApiClient, ApiRefusal, Service, ServiceDown
from console.adapters.live_feed import LiveFeed, LiveHub
from console.config import ConsoleSettings
from console.domain.live import LIVE_ROUTING_KEYS
from console.entrypoints.http import errors, templating
from console.entrypoints.http.controllers.auth import AuthController
from console.entrypoints.http.controllers.board import BoardController
from console.entrypoints.http.controllers.calendars import CalendarsController
from console.entrypoints.http.controllers.counter import CounterController
from console.entrypoints.http.controllers.flows import FlowsController
from console.entrypoints.http.controllers.labs import LabsController
from console.entrypoints.http.controllers.live import LiveController
from console.entrypoints.http.controllers.messages import MessagesController
from console.entrypoints.http.controllers.order_screen import OrderScreenController
from console.entrypoints.http.controllers.people import PeopleController
from console.entrypoints.http.controllers.process_review import ProcessReviewController
from console.entrypoints.http.controllers.review import ReviewController
from console.entrypoints.http.controllers.search import SearchController
from console.entrypoints.http.controllers.stage_responsibles import StageResponsiblesController
from console.entrypoints.http.controllers.tracking import customer_page
from console.entrypoints.http.headers import SecurityHeadersMiddleware, renewed_cookie_hook
from console.entrypoints.http.pages import provide_visit
from console.entrypoints.http.session import OPEN_PATHS, SessionMiddleware
from console.usecases.directory import DirectoryCache
from etapa_contracts.events import Event
from shared.asyncapi import Document, asyncapi_document, asyncapi_handler, cached, document_consumer
from shared.auth import verifier_for
from shared.http_metrics import request_metrics
from shared.logging import get_logger
from shared.tracing import configure_tracing
from shared.web import CorrelationIdMiddleware, health_handlers, tracing_plugins

log = get_logger(__name__)

HTTP_DIR = Path(__file__).parent / "entrypoints" / "http"
ROUTE_HANDLERS: list[Any] = [
    AuthController,
    BoardController,
    LiveController,
    CounterController,
    OrderScreenController,
    SearchController,
    FlowsController,
    StageResponsiblesController,
    CalendarsController,
    ReviewController,
    ProcessReviewController,
    PeopleController,
    LabsController,
    MessagesController,
    customer_page,
]


def asyncapi_of(settings: ConsoleSettings) -> Document:
    """The console publishes nothing; it reads order events into open boards (``LiveFeed``,
    with aio-pika). A broker that is never started describes that queue for the document."""
    broker = RabbitBroker(settings.service.amqp_url, logger=None)
    events = tuple(e for e in Event.__subclasses__() if e.routing_key() in LIVE_ROUTING_KEYS)
    document_consumer(
        broker,
        settings.service.topology,
        RabbitQueue("console.live", exclusive=True, auto_delete=True),
        events,
        "Each console process's own exclusive, auto-deleted queue (server-named; shown here "
        "as console.live): order events fanned out to the boards open in that process.",
    )
    return asyncapi_document(
        broker,
        service="console",
        description="Console: the staff's web app; it reads order events for live boards.",
    )


def create_app(settings: ConsoleSettings | None = None) -> Litestar:
    settings = settings or ConsoleSettings.from_env()
    configure_tracing(settings.service.service)  # off unless OTEL_EXPORTER_OTLP_ENDPOINT
    verifier = verifier_for(settings.service)
    hub = LiveHub()
    feed = LiveFeed(settings.service.amqp_url, settings.service.topology, hub)
    state = State({"settings": settings, "hub": hub, "feed": feed, "directories": DirectoryCache()})

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=settings.api_timeout) as http:
            app.state.api = ApiClient(
                http,
                {
                    Service.INTAKE: settings.intake_url,
                    Service.WORKFLOW: settings.workflow_url,
                    Service.NOTIFIER: settings.notifier_url,
                },
            )
            task = asyncio.create_task(feed.run(), name="live-feed")
            log.info("service_started", port=settings.service.http_port)
            try:
                yield
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                await feed.close()
                log.info("service_stopped")

    return Litestar(
        route_handlers=[
            *ROUTE_HANDLERS,
            *health_handlers({"broker": feed.ready}),
            asyncapi_handler(cached(lambda: asyncapi_of(settings))),
            PrometheusController,
            create_static_files_router(
                path="/static", directories=[HTTP_DIR / "static"], name="static", opt={}
            ),
        ],
        middleware=[
            CorrelationIdMiddleware(),
            SecurityHeadersMiddleware(),
            request_metrics("etapa_console"),
            DefineMiddleware(SessionMiddleware, verifier=verifier),
        ],
        before_send=[renewed_cookie_hook],
        lifespan=[lifespan],
        state=state,
        dependencies={"visit": Provide(provide_visit)},
        plugins=[HTMXPlugin(), *tracing_plugins(settings.service.service)],
        template_config=TemplateConfig(
            directory=HTTP_DIR / "templates",
            engine=JinjaTemplateEngine,
            engine_callback=templating.configure,
        ),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="etapa_csrf",
            cookie_secure=settings.secure_cookies,
            cookie_httponly=True,
            exclude=[p for p in OPEN_PATHS if p != "^/entrar"],
        ),
        exception_handlers={
            NotAuthorizedException: errors.not_signed_in,
            ServiceDown: errors.service_down,
            ApiRefusal: errors.refused,
            Exception: errors.unexpected,
        },
        request_max_body_size=1_000_000,
        logging_config=None,
        openapi_config=None,
    )
