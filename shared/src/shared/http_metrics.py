"""Litestar's Prometheus middleware, the same series with less work per request (issue 16).

Litestar's ``PrometheusMiddleware`` builds a ``Request`` and two label dictionaries per request
and looks up each metric's child by its label values four times (``labels()`` takes a lock and
hashes the values). In ``make bench-http-layers`` that was the largest share of the layers
around a handler. ``CachedPrometheusMiddleware`` counts the same series — the same metric
objects, names, labels and values — and keeps each label set's children in a dictionary of
its own. ``request_metrics(app_name)`` is the middleware every service and the console use.

A configuration with extra labels, exemplars or excluded methods goes through Litestar's own
``__call__`` (those need the ``Request``), and so does one without ``group_path``: its paths
are the requests' own, too many to keep.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, NamedTuple

from litestar.enums import ScopeType
from litestar.middleware import DefineMiddleware
from litestar.plugins.prometheus import PrometheusConfig, PrometheusMiddleware
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send


UNCOUNTED_PATHS = ["/metrics", "/health", "/ready"]
"""Scrapes and probes: not counted as requests."""


def request_metrics(app_name: str) -> DefineMiddleware:
    """The ``etapa_http_*`` series of an app (``etapa_intake``…), by method, route and status."""
    config = PrometheusConfig(
        app_name=app_name,
        prefix="etapa_http",
        group_path=True,
        exclude=UNCOUNTED_PATHS,
        middleware_class=CachedPrometheusMiddleware,
    )
    return config.middleware


class _Children(NamedTuple):
    """One label set's children: (method, path, status code, app)."""

    count: Any
    time: Any
    errors: Any
    """``None`` below 500: Litestar counts errors only from 500 on."""


class CachedPrometheusMiddleware(PrometheusMiddleware):
    """Made by Litestar from ``PrometheusConfig.middleware_class``."""

    def __init__(self, app: ASGIApp, config: PrometheusConfig) -> None:
        super().__init__(app, config)
        self._own_labels = config.group_path and not (
            config.labels or config.exemplars or config.excluded_http_methods
        )
        self._finished: dict[tuple[str, str, int], _Children] = {}
        self._in_progress: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._own_labels:
            await super().__call__(scope, receive, send)
            return
        kind = scope["type"]
        method = str(scope.get("method", "GET")) if kind == ScopeType.HTTP else str(kind)
        path = str(scope["path_template"])
        in_progress = self._in_progress.get((method, path))
        if in_progress is None:
            in_progress = self._in_progress[(method, path)] = self._in_progress_child(method, path)
        started = time.perf_counter()
        span = [200, 0.0]  # the status sent, and the duration at its last body message

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                span[0] = message["status"]
            elif message["type"] == "http.response.body":
                span[1] = time.perf_counter() - started
            await send(message)

        in_progress.inc()
        try:
            await self.app(scope, receive, timed_send)
        finally:
            in_progress.dec()
            status, duration = int(span[0]), span[1]
            children = self._finished.get((method, path, status))
            if children is None:
                children = self._finished[(method, path, status)] = self._children(
                    method, path, status
                )
            if children.errors is not None:
                children.errors.inc()
            children.count.inc()
            children.time.observe(duration)

    def _labels(self, method: str, path: str, status: int) -> dict[str, str | int | float]:
        """The label set in Litestar's order (the order of the metrics' label names)."""
        return {
            "method": method,
            "path": path,
            "status_code": status,
            "app_name": self._config.app_name,
        }

    def _in_progress_child(self, method: str, path: str) -> Any:
        labels = self._labels(method, path, 200)  # Litestar's gauge keeps the default 200
        return self.requests_in_progress(labels).labels(*labels.values())

    def _children(self, method: str, path: str, status: int) -> _Children:
        labels = self._labels(method, path, status)
        values = list(labels.values())
        errors = None
        if status >= HTTP_500_INTERNAL_SERVER_ERROR:
            errors = self.requests_error_count(labels).labels(*values)
        return _Children(
            count=self.request_count(labels).labels(*values),
            time=self.request_time(labels).labels(*values),
            errors=errors,
        )
