"""The HTTP pieces every service shares: health, readiness, metrics, correlation ids, errors.

``/health`` says the process is alive; ``/ready`` says its database and broker answer (503 with
the failing dependency named when not); ``/metrics`` is Prometheus text. Each request gets a
correlation id (from ``X-Correlation-ID`` or a new one) that is logged with every line and
returned in the response. A request that meets a database outage
(``shared.database.DATABASE_OUTAGE``) answers 503 with ``Retry-After``, never 500."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg
from litestar import Litestar, MediaType, Request, Response, get
from litestar.datastructures import MutableScopeHeaders
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware, DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from shared.auth import TokenAuthMiddleware, provide_principal, rate_limit_identity, verifier_for
from shared.database import is_database_outage
from shared.logging import CORRELATION_HEADER, correlation_scope, get_logger
from shared.settings import ServiceSettings

log = get_logger(__name__)

ReadinessCheck = Callable[[], Awaitable[None]]
RETRY_AFTER_SECONDS = 5
"""What a 503 for a database outage tells the client to wait before trying again."""


class CorrelationIdMiddleware(ASGIMiddleware):
    scopes = ("http",)  # type: ignore[assignment]

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        headers = dict(scope.get("headers", []))
        incoming = headers.get(CORRELATION_HEADER.lower().encode())
        with correlation_scope(incoming.decode(errors="replace") if incoming else None) as cid:

            async def send_with_header(message: Message) -> None:
                if message["type"] == "http.response.start":
                    MutableScopeHeaders.from_message(message)[CORRELATION_HEADER] = cid
                await send(message)

            await next_app(scope, receive, send_with_header)


def database_check(pool_provider: Callable[[], asyncpg.Pool | None]) -> ReadinessCheck:
    async def check() -> None:
        pool = pool_provider()
        if pool is None:
            raise RuntimeError("database pool not started")
        async with pool.acquire(timeout=2) as conn:
            await conn.fetchval("SELECT 1")

    return check


def health_handlers(checks: dict[str, ReadinessCheck]) -> list[Any]:
    @get("/health", tags=["operations"], sync_to_thread=False)
    def health() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @get("/ready", tags=["operations"])
    async def ready() -> Response[dict[str, Any]]:
        """The service's database and broker answer."""
        failures: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check(), timeout=3)
            except Exception as exc:
                failures[name] = f"{type(exc).__name__}: {exc}"
        if failures:
            return Response(
                {"status": "unavailable", "failing": failures},
                status_code=HTTP_503_SERVICE_UNAVAILABLE,
            )
        return Response({"status": "ready", "checked": sorted(checks)})

    return [health, ready]


def _problem(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    if isinstance(exc, HTTPException):
        body: dict[str, Any] = {"status_code": exc.status_code, "detail": exc.detail}
        if exc.extra:
            body["extra"] = exc.extra
        return Response(body, status_code=exc.status_code, media_type=MediaType.JSON)
    if is_database_outage(exc):
        # The database is away (restarting, unreachable): nothing is wrong with the request,
        # and whether it was committed is unknown only if the outage cut a commit short —
        # the client retries with its Idempotency-Key, which answers the first result.
        log.warning("database_unavailable", path=request.url.path, error=type(exc).__name__)
        return Response(
            {
                "status_code": HTTP_503_SERVICE_UNAVAILABLE,
                "detail": "Banco de dados indisponível no momento; tente de novo em instantes.",
            },
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            media_type=MediaType.JSON,
        )
    if isinstance(exc, asyncpg.DataError):
        # A value PostgreSQL cannot take (a NUL character, a number or date out of its range)
        # that validation let through: the request's fault, said as such, and logged to fix.
        log.warning("input_refused_by_database", path=request.url.path, error=type(exc).__name__)
        return Response(
            {"status_code": 400, "detail": f"a value in the request cannot be stored: {exc}"},
            status_code=400,
            media_type=MediaType.JSON,
        )
    log.exception("unhandled_error", path=request.url.path)
    return Response(
        {"status_code": 500, "detail": "Erro interno; a equipe foi avisada."},
        status_code=500,
        media_type=MediaType.JSON,
    )


def create_service_app(
    *,
    settings: ServiceSettings,
    route_handlers: Sequence[Any],
    checks: dict[str, ReadinessCheck],
    lifespan: Sequence[Any] = (),
    dependencies: dict[str, Any] | None = None,
    request_max_body_size: int = 1_000_000,
    debug: bool = False,
) -> Litestar:
    """A Litestar app with the operational endpoints and middleware every service has.

    Every route but ``/health``, ``/ready``, ``/metrics``, ``/schema`` and ``opt=PUBLIC`` routes
    needs a bearer token; handlers get the caller as the ``principal`` dependency. Requests are
    rate-limited per user (per client address before sign-in); the limit is kept per process.
    """
    verifier = verifier_for(settings)
    prometheus = PrometheusConfig(
        app_name=f"etapa_{settings.service}",
        group_path=True,
        exclude=["/metrics", "/health", "/ready"],
    )
    rate_limit = RateLimitConfig(
        rate_limit=("minute", settings.rate_limit_per_minute),
        exclude=["^/health$", "^/ready$", "^/metrics"],
        identifier_for_request=rate_limit_identity,
    )
    return Litestar(
        route_handlers=[*route_handlers, *health_handlers(checks), PrometheusController],
        middleware=[
            CorrelationIdMiddleware(),
            prometheus.middleware,
            DefineMiddleware(TokenAuthMiddleware, verifier=verifier),
            rate_limit.middleware,
        ],
        lifespan=list(lifespan),
        dependencies={
            "principal": Provide(provide_principal, sync_to_thread=False),
            **(dependencies or {}),
        },
        openapi_config=OpenAPIConfig(
            title=f"Etapa {settings.service}",
            version="1",
            security=[{"BearerToken": []}],
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
                }
            ),
        ),
        exception_handlers={Exception: _problem},
        request_max_body_size=request_max_body_size,
        logging_config=None,  # configure_logging owns the root logger
        debug=debug,
    )
