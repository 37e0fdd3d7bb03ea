"""``shared.http_metrics``: the same series as Litestar's Prometheus middleware, request for
request; and ``shared.asgi_headers``, which sets the layers' response headers."""

from __future__ import annotations

import uuid
from typing import Annotated

import pytest
from litestar import Litestar, get, post
from litestar.exceptions import HTTPException
from litestar.params import PathParameter
from litestar.plugins.prometheus import PrometheusConfig, PrometheusMiddleware
from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY

from shared.asgi_headers import header, set_headers
from shared.http_metrics import CachedPrometheusMiddleware


@get("/api/v1/orders/{order_id:uuid}", sync_to_thread=False)
def order(order_id: Annotated[uuid.UUID, PathParameter()]) -> dict[str, str]:
    return {"id": str(order_id)}


@post("/api/v1/orders", sync_to_thread=False)
def open_order() -> dict[str, str]:
    raise HTTPException(status_code=503, detail="fora do ar")


@get("/api/v1/refused", sync_to_thread=False)
def refused() -> dict[str, str]:
    raise HTTPException(status_code=409, detail="já existe")


@get("/api/v1/broken", sync_to_thread=False)
def broken() -> dict[str, str]:
    raise RuntimeError("quebrou")


def _app(prefix: str, middleware_class: type[PrometheusMiddleware]) -> Litestar:
    config = PrometheusConfig(
        app_name="etapa_test",
        prefix=prefix,
        group_path=True,
        exclude=["/metrics"],
        middleware_class=middleware_class,
    )
    return Litestar(
        route_handlers=[order, open_order, refused, broken],
        middleware=[config.middleware],
        logging_config=None,
    )


def _series(prefix: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the metrics named ``prefix_…``, by name and labels (the durations'
    sums left out: they are times)."""
    samples = {}
    for metric in REGISTRY.collect():
        if not metric.name.startswith(prefix + "_"):
            continue
        for sample in metric.samples:
            if sample.name.endswith("_sum") or sample.name.endswith("_created"):
                continue
            name = sample.name.removeprefix(prefix)
            samples[(name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


async def _requests(app: Litestar) -> None:
    async with AsyncTestClient(app) as client:
        for _ in range(3):
            assert (await client.get(f"/api/v1/orders/{uuid.uuid4()}")).status_code == 200
        assert (await client.get("/api/v1/orders/x")).status_code == 404  # not a UUID
        assert (await client.post("/api/v1/orders")).status_code == 503
        assert (await client.delete(f"/api/v1/orders/{uuid.uuid4()}")).status_code == 405
        assert (await client.get("/api/v1/refused")).status_code == 409
        assert (await client.get("/api/v1/broken")).status_code == 500
        assert (await client.get("/api/v1/nowhere")).status_code == 404


async def test_the_same_series_as_litestars_middleware() -> None:
    await _requests(_app("etapa_litestar_own", PrometheusMiddleware))
    await _requests(_app("etapa_cached", CachedPrometheusMiddleware))

    own, cached = _series("etapa_litestar_own"), _series("etapa_cached")
    assert cached == own
    requests = {labels: n for (name, labels), n in cached.items() if name == "_requests_total"}
    assert (
        requests[
            (
                ("app_name", "etapa_test"),
                ("method", "GET"),
                ("path", "/api/v1/orders/{order_id}"),
                ("status_code", "200"),
            )
        ]
        == 3
    )
    assert sum(requests.values()) == 6  # the router answers the 404s and the 405 itself
    errors = [labels for (name, labels), _ in cached.items() if name == "_requests_error_total"]
    assert {dict(labels)["status_code"] for labels in errors} == {"500", "503"}
    timed = REGISTRY.get_sample_value(
        "etapa_cached_request_duration_seconds_sum",
        {
            "app_name": "etapa_test",
            "method": "GET",
            "path": "/api/v1/orders/{order_id}",
            "status_code": "200",
        },
    )
    assert timed is not None
    assert timed > 0  # until the answer's body was sent
    in_progress = [n for (name, _), n in cached.items() if name == "_requests_in_progress"]
    assert in_progress
    assert all(n == 0 for n in in_progress)


async def test_extra_labels_go_through_litestars_own_call() -> None:
    config = PrometheusConfig(
        app_name="etapa_test",
        prefix="etapa_labelled",
        group_path=True,
        labels={"chain": "visao"},
        middleware_class=CachedPrometheusMiddleware,
    )
    app = Litestar(route_handlers=[order], middleware=[config.middleware], logging_config=None)
    async with AsyncTestClient(app) as client:
        assert (await client.get(f"/api/v1/orders/{uuid.uuid4()}")).status_code == 200
    labelled = [
        dict(labels) for (name, labels) in _series("etapa_labelled") if name == "_requests_total"
    ]
    assert labelled
    assert labelled[0]["chain"] == "visao"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ([], [(b"x-correlation-id", b"abc")]),
        (
            [(b"content-type", b"application/json"), (b"X-Correlation-ID", b"old")],
            [(b"content-type", b"application/json"), (b"x-correlation-id", b"abc")],
        ),
    ],
)
def test_set_headers_replaces_a_header_of_the_same_name(
    before: list[tuple[bytes, bytes]], after: list[tuple[bytes, bytes]]
) -> None:
    message = {"type": "http.response.start", "status": 200, "headers": before}
    set_headers(message, [header("X-Correlation-ID", "abc")])  # type: ignore[arg-type]
    assert message["headers"] == after


def test_set_headers_on_a_message_without_headers() -> None:
    message = {"type": "http.response.start", "status": 200}
    set_headers(message, [header("RateLimit-Limit", "600"), header("RateLimit-Remaining", "5")])  # type: ignore[arg-type]
    assert message["headers"] == [(b"ratelimit-limit", b"600"), (b"ratelimit-remaining", b"5")]
