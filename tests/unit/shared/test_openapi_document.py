"""OpenAPI that generators and testers can trust, and documentation pages that work offline
(issue 15, item 12). Before: every operation claimed the bearer token, 4xx bodies had no
schema a generator could read, the lab and callback bodies had none, and the pages loaded their
scripts from a CDN."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.testing import AsyncTestClient

import intake.bootstrap
import notifier.bootstrap
import workflow.bootstrap
from intake.config import IntakeSettings
from notifier.config import NotifierSettings
from shared.auth import generate_key_pair
from shared.settings import ServiceSettings
from shared.web import create_service_app
from workflow.config import WorkflowSettings

PRIVATE, PUBLIC_KEY = generate_key_pair()
ENV = {"ETAPA_JWT_PUBLIC_KEY": PUBLIC_KEY, "INTAKE_JWT_PRIVATE_KEY": PRIVATE, "ETAPA_ENV": "test"}
METHODS = {"get", "post", "put", "patch", "delete"}


def _document(service: str) -> dict[str, Any]:
    if service == "intake":
        app = intake.bootstrap.create_app(IntakeSettings.from_env(ENV))
    elif service == "workflow":
        app = workflow.bootstrap.create_app(WorkflowSettings.from_env(ENV))
    else:
        app = notifier.bootstrap.create_app(NotifierSettings.from_env(ENV))
    document: dict[str, Any] = app.plugins.get(OpenAPIPlugin).provide_openapi_schema()
    return document


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def test_public_endpoints_declare_their_own_credential_or_none() -> None:
    security = {
        service: {key: op.get("security") for key, op in _operations(_document(service)).items()}
        for service in ("intake", "workflow", "notifier")
    }
    intake_ops, workflow_ops, notifier_ops = (
        security[s] for s in ("intake", "workflow", "notifier")
    )
    assert intake_ops[("post", "/api/v1/auth/token")] == []
    assert intake_ops[("post", "/api/v1/chains")] == [{"OperatorKey": []}]
    assert intake_ops[("post", "/api/v1/lab-updates")] == [{"LabKey": []}]
    assert workflow_ops[("get", "/api/v1/tracking/{token}")] == []
    assert notifier_ops[("post", "/api/v1/providers/{provider}/status")] == [
        {"CallbackToken": []},
        {"CallbackTokenQuery": []},
    ]
    assert workflow_ops[("get", "/api/v1/orders")] is None  # the document's default: bearer
    for ops in security.values():
        for path in ("/health", "/ready", "/metrics", "/asyncapi"):
            assert ops[("get", path)] == [], path


@pytest.mark.parametrize("service", ["intake", "workflow", "notifier"])
def test_every_refusal_is_declared_with_the_one_problem_schema(service: str) -> None:
    document = _document(service)
    problem = document["components"]["schemas"]["Problem"]
    assert problem["required"] == ["status_code", "detail"]
    assert "BearerToken" in document["components"]["securitySchemes"]
    for (method, path), operation in _operations(document).items():
        if re.match(r"^/(health|ready|metrics|asyncapi)", path):
            continue
        responses = operation["responses"]
        expected = {"400", "401", "403", "404", "409", "429"}
        assert expected <= set(responses), (method, path, sorted(responses))
        for code in expected:
            schema = responses[code]["content"]["application/json"]["schema"]
            if (method, path) == ("post", "/api/v1/lab-updates") and code == "400":
                assert schema == {"$ref": "#/components/schemas/LabOutcomeOut"}
            elif (method, path) == ("get", "/api/v1/tracking/{token}") and code == "404":
                assert schema == {"$ref": "#/components/schemas/TrackingOut"}  # the page's shape
            else:
                assert schema == {"$ref": "#/components/schemas/Problem"}, (method, path, code)


def test_lab_and_callback_bodies_have_schemas() -> None:
    lab = _operations(_document("intake"))[("post", "/api/v1/lab-updates")]
    assert lab["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/LabMessage"
    }
    notifier_document = _document("notifier")
    status = _operations(notifier_document)[("post", "/api/v1/providers/{provider}/status")]
    content = status["requestBody"]["content"]
    assert set(content) == {"application/json", "application/x-www-form-urlencoded"}
    schemas = notifier_document["components"]["schemas"]
    assert {"LabMessage"} <= set(_document("intake")["components"]["schemas"])
    assert {"ZenviaEvent", "HttpStatusReport", "TwilioCallback", "JsonCallback"} <= set(schemas)
    assert "message" in schemas["ZenviaEvent"]["properties"]


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async def ready() -> None:
        return None

    settings = ServiceSettings.from_env("test", 9999, {"ETAPA_JWT_PUBLIC_KEY": PUBLIC_KEY})
    app = create_service_app(settings=settings, route_handlers=[], checks={"database": ready})
    async with AsyncTestClient(app) as test_client:
        yield test_client


@pytest.mark.parametrize("page", ["swagger", "redoc", "scalar"])
async def test_the_docs_pages_load_everything_from_the_service(
    client: AsyncTestClient,  # type: ignore[type-arg]
    page: str,
) -> None:
    response = await client.get(f"/schema/{page}")
    assert response.status_code == 200
    html = response.text
    assert "http://" not in html, html
    assert "https://" not in html, html
    assets = re.findall(r'(?:src|href)="(/schema-assets/[^"]+)"', html)
    assert assets
    for asset in assets:
        served = await client.get(asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 1000


def test_callbacks_document_their_providers_and_twilios_twiml_answer() -> None:
    """Found widening `make fuzz` to the callbacks: the path's provider was any string (so a
    tester only ever met 404s), and Twilio's reply, answered with TwiML, was documented as JSON."""
    operations = _operations(_document("notifier"))
    for kind in ("inbound", "status"):
        (provider,) = operations[("post", f"/api/v1/providers/{{provider}}/{kind}")]["parameters"]
        assert provider["schema"]["enum"] == ["http", "zenvia", "twilio"]
    answer = operations[("post", "/api/v1/providers/{provider}/inbound")]["responses"]["200"]
    assert set(answer["content"]) == {"application/json", "application/xml"}
    assert answer["content"]["application/json"]["schema"]["required"] == ["result"]


def test_a_body_that_refuses_unknown_fields_says_so_and_a_provider_s_does_not() -> None:
    """A client generated from the document must not send a field the service refuses, nor be
    told it may; a provider's callback, which takes whatever the provider adds, stays open."""
    schemas = {s: _document(s)["components"]["schemas"] for s in ("intake", "workflow", "notifier")}
    assert schemas["workflow"]["FlowIn"]["additionalProperties"] is False
    assert schemas["workflow"]["StageIn"]["additionalProperties"] is False  # nested in FlowIn
    assert schemas["notifier"]["OptOutIn"]["additionalProperties"] is False
    assert schemas["notifier"]["SmsSettingsIn"]["additionalProperties"] is False
    assert "additionalProperties" not in schemas["notifier"]["JsonCallback"]
    closed = [
        name
        for service in schemas.values()
        for name, schema in service.items()
        if schema.get("additionalProperties") is False
    ]
    assert "ResponsiblesIn" in closed
    assert "ResponsibleIn" in closed
    assert len(closed) >= 20, closed  # intake's bodies too (users, branches, orders, actions…)
