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
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware, DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin
from litestar.plugins.prometheus import PrometheusController
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE
from litestar.types import (
    ASGIApp,
    Message,
    Receive,
    ReceiveMessage,
    Scope,
    Send,
)

from shared.asgi_headers import header, set_headers
from shared.asgi_json import send_json
from shared.asyncapi import Document, asyncapi_handler
from shared.auth import TokenAuthMiddleware, provide_principal, rate_limit_identity, verifier_for
from shared.database import is_database_outage
from shared.dependency_order import resolve_in_order
from shared.http_metrics import request_metrics
from shared.logging import CORRELATION_HEADER, correlation_scope, get_logger
from shared.openapi import amend as amend_openapi
from shared.openapi import assets_router, openapi_config
from shared.problem_texts import language_of, localized_body
from shared.query_parameters import (
    UnknownQueryMiddleware,
    document_path,
    documented_query_parameters,
)
from shared.rate_limit import counting_rate_limit
from shared.settings import ServiceSettings
from shared.token_validity import VALIDITY_STATE_KEY, TokenValidity
from shared.tracing import mark_correlation, redact_request, span_details, tracer_provider

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
            mark_correlation(cid)

            correlation = [header(CORRELATION_HEADER, cid)]

            async def send_with_header(message: Message) -> None:
                if message["type"] == "http.response.start":
                    set_headers(message, correlation)
                await send(message)

            await next_app(scope, receive, send_with_header)


def documented_allow(value: str) -> str:
    """An ``Allow`` header without ``OPTIONS``: Litestar answers OPTIONS on every path for CORS
    preflights, but Etapa serves no browser of another origin and documents none."""
    return ", ".join(m.strip() for m in value.split(",") if m.strip() not in ("OPTIONS", ""))


class AllowHeaderMiddleware(ASGIMiddleware):
    """Every ``Allow`` header names the methods the OpenAPI document gives the path (Litestar's
    own OPTIONS answer named only some, and OPTIONS itself)."""

    scopes = ("http",)  # type: ignore[assignment]

    def __init__(self) -> None:
        self.documented: dict[str, str] = {}
        """Path template (``/api/v1/users/{user_id}``) → ``"GET, PATCH"``; set once the app's
        document exists."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        async def send_documented(message: Message) -> None:
            if message["type"] == "http.response.start":
                allow = next(
                    (v for n, v in message.get("headers", ()) if n.lower() == b"allow"), None
                )
                if allow is not None:  # a 405 or an OPTIONS answer: most answers have none
                    value = self.documented.get(
                        document_path(scope), documented_allow(allow.decode("latin-1"))
                    )
                    set_headers(message, [header("allow", value)])
            await send(message)

        await next_app(scope, receive, send_documented)


def documented_methods(app: Litestar) -> dict[str, str]:
    document = app.openapi_schema.to_schema()
    return {
        path: ", ".join(
            sorted(m.upper() for m in item if m in ("get", "post", "put", "patch", "delete"))
        )
        for path, item in document.get("paths", {}).items()
    }


MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays and objects a JSON body may have (Etapa's own bodies need ~5)."""


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``body`` nests arrays/objects deeper than ``limit``, read without parsing it
    (brackets inside strings do not count)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth, in_string, escaped = 0, False, False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


class JsonDepthMiddleware(ASGIMiddleware):
    """A JSON body nested deeper than ``MAX_JSON_DEPTH`` is a 400 before anything parses it
    (1,000 levels made the parser raise RecursionError: a 500, with or without a token).
    Bodies over ``max_body_size`` pass unchecked: the app refuses them with 413 unread, and so
    do those to ``raw_body_paths``: endpoints that read their body themselves (a lab's message is
    kept, rejected with the reason, however it is broken)."""

    scopes = ("http",)  # type: ignore[assignment]

    def __init__(self, max_body_size: int, raw_body_paths: Sequence[str] = ()) -> None:
        self.max_body_size = max_body_size
        self.raw_body_paths = frozenset(path.rstrip("/") for path in raw_body_paths)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        content_type = dict(scope.get("headers", [])).get(b"content-type", b"").lower()
        # any body but a form: the API reads JSON whatever the Content-Type says
        if (
            scope.get("method") in ("GET", "HEAD", "OPTIONS")
            or content_type.startswith((b"application/x-www-form-urlencoded", b"multipart/"))
            or str(scope.get("path", "")).rstrip("/") in self.raw_body_paths
        ):
            await next_app(scope, receive, send)
            return
        received: list[ReceiveMessage] = []
        size, more = 0, True
        while more and size <= self.max_body_size:
            message = await receive()
            received.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            more = message.get("more_body", False)
        if not more and size <= self.max_body_size:
            body = b"".join(
                m["body"] for m in received if m["type"] == "http.request" and "body" in m
            )
            if json_depth_exceeds(body):
                detail = f"o JSON tem mais de {MAX_JSON_DEPTH} níveis de aninhamento"
                log.warning("json_too_deep", path=scope.get("path"), size=size)
                accept = dict(scope.get("headers", [])).get(b"accept-language", b"")
                language = language_of(accept.decode("latin-1"))
                await send_json(send, 400, localized_body(400, detail, None, language), language)
                return
        replay = iter(received)

        async def replaying_receive() -> ReceiveMessage:
            return next(replay, None) or await receive()

        await next_app(scope, replaying_receive, send)


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
    language = language_of(request.headers.get("accept-language"))
    response = _problem_in_portuguese(request, exc)
    if isinstance(response.content, dict):
        content = response.content
        response.content = localized_body(
            content["status_code"], str(content["detail"]), content.get("extra"), language
        )
    response.headers["Content-Language"] = language
    response.headers["Vary"] = "Accept-Language"
    if response.status_code == 429 and "Retry-After" not in response.headers:
        # Litestar's rate limit says RateLimit-Reset only; clients and proxies read Retry-After
        response.headers["Retry-After"] = response.headers.get("RateLimit-Reset", "60")
    return response


def _problem_in_portuguese(
    request: Request[Any, Any, Any], exc: Exception
) -> Response[dict[str, Any]]:
    if isinstance(exc, HTTPException):
        body: dict[str, Any] = {"status_code": exc.status_code, "detail": exc.detail}
        if exc.extra:
            body["extra"] = exc.extra
        # headers too: every 429 says when to come back (Retry-After), every 405 what is allowed
        headers = dict(exc.headers or {})
        if "allow" in headers:  # a 405 from the router, before any middleware
            headers["allow"] = documented_allow(headers["allow"])
        return Response(
            body, status_code=exc.status_code, media_type=MediaType.JSON, headers=headers
        )
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
        # The database's own text is logged, never sent: it describes the schema, not the request.
        log.warning(
            "input_refused_by_database",
            path=request.url.path,
            error=type(exc).__name__,
            detail=str(exc),
        )
        return Response(
            {"status_code": 400, "detail": "um valor da requisição não pode ser gravado"},
            status_code=400,
            media_type=MediaType.JSON,
        )
    log.exception("unhandled_error", path=request.url.path)
    return Response(
        {"status_code": 500, "detail": "Erro interno; a equipe foi avisada."},
        status_code=500,
        media_type=MediaType.JSON,
    )


UNTRACED_PATHS = ["/health", "/ready", "/metrics"]
"""Probes and scrapes: no span for them (they would bury the orders' traces)."""


def tracing_plugins(service: str) -> list[OpenTelemetryPlugin]:
    """Litestar's OpenTelemetry plugin with the service's tracer provider (``shared.tracing``):
    a server span per request, continuing the caller's ``traceparent``; none while tracing is
    off."""
    provider = tracer_provider(service)
    if provider is None:
        return []
    config = OpenTelemetryConfig(
        tracer_provider=provider,
        exclude=UNTRACED_PATHS,
        exclude_spans=["receive", "send"],
        server_request_hook_handler=redact_request,
        scope_span_details_extractor=span_details,
    )
    return [OpenTelemetryPlugin(config)]


def create_service_app(
    *,
    settings: ServiceSettings,
    route_handlers: Sequence[Any],
    checks: dict[str, ReadinessCheck],
    lifespan: Sequence[Any] = (),
    dependencies: dict[str, Any] | None = None,
    request_max_body_size: int = 1_000_000,
    raw_body_paths: Sequence[str] = (),
    asyncapi: Callable[[], Document] | None = None,
    debug: bool = False,
) -> Litestar:
    """A Litestar app with the operational endpoints and middleware every service has.

    ``asyncapi`` gives the document served at ``/asyncapi`` (``shared.asyncapi``).
    Every route but ``/health``, ``/ready``, ``/metrics``, ``/schema``, ``/asyncapi`` and
    ``opt=PUBLIC`` routes
    needs a bearer token; handlers get the caller as the ``principal`` dependency. Requests are
    rate-limited per user (per client address before sign-in); the limit is kept per process.
    """
    resolve_in_order()  # no task group per request (shared.dependency_order)
    verifier = verifier_for(settings)
    validity = TokenValidity()
    allow = AllowHeaderMiddleware()  # kept loaded by the service's runtime (shared.runtime)
    unknown_query = UnknownQueryMiddleware()
    rate_limit = RateLimitConfig(
        rate_limit=("minute", settings.rate_limit_per_minute),
        exclude=["^/health$", "^/ready$", "^/metrics"],
        identifier_for_request=rate_limit_identity,
    )
    documents = [asyncapi_handler(asyncapi)] if asyncapi is not None else []
    app = Litestar(
        route_handlers=[
            *route_handlers,
            *health_handlers(checks),
            *documents,
            PrometheusController,
            assets_router(),
        ],
        middleware=[
            CorrelationIdMiddleware(),
            allow,
            JsonDepthMiddleware(request_max_body_size, raw_body_paths),
            request_metrics(f"etapa_{settings.service}"),
            DefineMiddleware(TokenAuthMiddleware, verifier=verifier, validity=validity),
            counting_rate_limit(rate_limit),
            unknown_query,  # after sign-in: a stranger learns nothing of the API, not even this
        ],
        lifespan=list(lifespan),
        plugins=tracing_plugins(settings.service),
        state=State({VALIDITY_STATE_KEY: validity}),
        dependencies={
            "principal": Provide(provide_principal, sync_to_thread=False),
            **(dependencies or {}),
        },
        openapi_config=openapi_config(settings.service),
        exception_handlers={Exception: _problem},
        request_max_body_size=request_max_body_size,
        logging_config=None,  # configure_logging owns the root logger
        debug=debug,
    )
    amend_openapi(app)
    allow.documented = documented_methods(app)
    unknown_query.taken = documented_query_parameters(app.openapi_schema.to_schema())
    return app
