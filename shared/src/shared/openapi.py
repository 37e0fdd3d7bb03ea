"""The OpenAPI document every service serves, made for generators and testers, and its pages.

Rules:
- Every operation says how it is authenticated: the staff bearer token (the document's
  default), none (``/health``, ``/ready``, ``/metrics``, ``/asyncapi``, sign-in, the customer's
  tracking read, whose token is its path), or its own credential: ``X-Lab-Key``
  (:data:`LAB_KEY`), ``X-Operator-Key`` (:data:`OPERATOR_KEY`), the provider callback token
  (:data:`CALLBACK_TOKEN`). A handler opts out of the bearer token with ``opt=PUBLIC`` and names
  its credential with ``security=``.
- Every refusal a client can meet is declared with one body schema, ``Problem`` (``status_code``,
  ``detail``, ``extra``), that ``openapi-python-client`` reads: 400, 401 (where a credential is
  needed), 403, 404, 409, 413 (with a body), 429 and 503. A status the handler declares itself
  keeps the handler's schema.
- A handler that reads its body itself names the body's model in ``opt["request_body"]`` (a
  pydantic model, or a mapping of media type to model) so the document still shows it.
- The documentation pages (``/schema/swagger``, ``/schema/redoc``, ``/schema/scalar``) load
  their scripts from ``/schema-assets/`` (``shared/docs_assets``, vendored with their licences):
  no CDN, they work offline.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, get_args

from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import (
    JsonRenderPlugin,
    RedocRenderPlugin,
    ScalarRenderPlugin,
    SwaggerRenderPlugin,
)
from litestar.openapi.spec import Components, SecurityScheme
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router
from pydantic import BaseModel, ConfigDict, Field

BEARER_TOKEN = "BearerToken"  # noqa: S105 - a scheme name, not a secret
LAB_KEY: list[dict[str, list[str]]] = [{"LabKey": []}]
OPERATOR_KEY: list[dict[str, list[str]]] = [{"OperatorKey": []}]
CALLBACK_TOKEN: list[dict[str, list[str]]] = [{"CallbackToken": []}, {"CallbackTokenQuery": []}]
SECURITY_SCHEMES = {
    BEARER_TOKEN: SecurityScheme(
        type="http",
        scheme="bearer",
        bearer_format="JWT",
        description="a staff token from POST /api/v1/auth/token (15 minutes; refresh with "
        "POST /api/v1/auth/refresh)",
    ),
    "LabKey": SecurityScheme(
        type="apiKey",
        name="X-Lab-Key",
        security_scheme_in="header",
        description="a lab's API key (POST /api/v1/labs/{lab_id}/keys)",
    ),
    "OperatorKey": SecurityScheme(
        type="apiKey",
        name="X-Operator-Key",
        security_scheme_in="header",
        description="the platform operator's key (INTAKE_OPERATOR_KEY)",
    ),
    "CallbackToken": SecurityScheme(
        type="apiKey",
        name="X-Etapa-Callback-Token",
        security_scheme_in="header",
        description="NOTIFIER_CALLBACK_TOKEN, in this header",
    ),
    "CallbackTokenQuery": SecurityScheme(
        type="apiKey",
        name="token",
        security_scheme_in="query",
        description="NOTIFIER_CALLBACK_TOKEN, as ?token= (for providers that cannot set headers)",
    ),
}
UNAUTHENTICATED_PATHS = re.compile(r"^/(health|ready|metrics|asyncapi)(/.*)?$")
ASSETS_PATH = "/schema-assets"
ASSETS_DIRECTORY = Path(__file__).parent / "docs_assets"
REQUEST_BODY_OPT = "request_body"
RESPONSE_CONTENT_OPT = "response_content"
"""A handler's ``opt`` key: its 2xx body per media type (JSON schemas), when it answers in more
than one (Twilio's callbacks get TwiML, the others JSON)."""


class ProblemField(BaseModel):
    """One field's problem: ``key`` and ``message`` (validation), or ``field`` and ``problem``."""

    model_config = ConfigDict(extra="allow")
    key: str | None = Field(default=None, description="the field, e.g. customer.phone")
    message: str | None = Field(default=None, description="what is wrong with it")
    source: str | None = Field(default=None, description="body, query, path or header")
    field: str | None = None
    problem: str | None = None


class Problem(BaseModel):
    """A refusal, in pt-BR (English with ``Accept-Language: en``); ``detail`` names the field."""

    model_config = ConfigDict(extra="allow")
    status_code: int
    detail: str
    extra: list[ProblemField] | dict[str, Any] | None = None


REFUSALS = {
    "400": "the request is invalid: `detail` names the field and the problem",
    "401": "no credential, or a wrong, expired or revoked one",
    "403": "the caller's role may not do this",
    "404": "not found, or not visible to the caller (another chain or branch)",
    "409": "conflicts with the current state (e.g. a taken code or e-mail, a changed version)",
    "413": "the body is larger than the service accepts",
    "429": "too many requests: wait `Retry-After` seconds",
    "503": "the database is unavailable for a moment: retry after `Retry-After` seconds",
}


def openapi_config(service: str) -> OpenAPIConfig:
    """The document's settings, with pages that load their scripts from this service."""
    return OpenAPIConfig(
        title=f"Etapa {service}",
        version="1",
        security=[{BEARER_TOKEN: []}],
        components=Components(security_schemes=dict(SECURITY_SCHEMES)),
        render_plugins=[
            JsonRenderPlugin(),
            SwaggerRenderPlugin(
                js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
                css_url=f"{ASSETS_PATH}/swagger-ui.css",
                standalone_preset_js_url=f"{ASSETS_PATH}/swagger-ui-standalone-preset.js",
                favicon="",
            ),
            RedocRenderPlugin(
                js_url=f"{ASSETS_PATH}/redoc.standalone.js", google_fonts=False, favicon=""
            ),
            ScalarRenderPlugin(
                js_url=f"{ASSETS_PATH}/scalar-api-reference.js",
                css_url=f"{ASSETS_PATH}/swagger-ui.css",  # Scalar styles itself; any local sheet
                options={"withDefaultFonts": False},
                favicon="",
            ),
        ],
    )


def assets_router() -> Any:
    """``/schema-assets/``: the documentation pages' scripts, without a token."""
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[ASSETS_DIRECTORY],
        opt={"exclude_from_auth": True},
        include_in_schema=False,
    )


def amend(app: Litestar) -> None:
    """Finish the app's document once, in place: security, refusals, bodies read by hand."""
    document = app.plugins.get(OpenAPIPlugin).provide_openapi_schema()
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    _add_model(schemas, Problem)
    handlers = _handlers_by_operation(app)
    bodies = _body_models(handlers.values())
    names = Counter(model.__name__ for model in bodies)
    for model in bodies:  # a field the body does not name is refused: the document says so
        closed = model.model_config.get("extra") == "forbid"
        if closed and names[model.__name__] == 1 and model.__name__ in schemas:
            schemas[model.__name__]["additionalProperties"] = False
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            handler = handlers.get((path, method))
            opt: Mapping[str, Any] = handler.opt if handler is not None else {}
            public = UNAUTHENTICATED_PATHS.match(path) or opt.get("exclude_from_auth")
            if public and not operation.get("security"):
                operation["security"] = []
            body = opt.get(REQUEST_BODY_OPT)
            if body is not None:
                operation["requestBody"] = _request_body(schemas, body)
            content = opt.get(RESPONSE_CONTENT_OPT)
            if content is not None:
                success = next(code for code in operation["responses"] if code.startswith("2"))
                operation["responses"][success]["content"] = {
                    media_type: {"schema": schema} for media_type, schema in content.items()
                }
            if path == "/metrics":
                operation["responses"]["200"]["content"] = {
                    "text/plain": {"schema": {"type": "string"}}  # Prometheus' text format
                }
            if UNAUTHENTICATED_PATHS.match(path):
                continue  # operational: no rate limit, no body; /ready's 503 is its own shape
            own = {str(code) for code in (handler.responses or {})} if handler else set()
            _declare_refusals(operation, method, own)


def _declare_refusals(operation: dict[str, Any], method: str, own: set[str]) -> None:
    responses: dict[str, Any] = operation["responses"]
    for code, description in REFUSALS.items():
        # 401 everywhere: sign-in refuses a wrong password, a credential-less path a bad token
        if code in own or (code == "413" and method == "get"):
            continue
        responses[code] = {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }


def _request_body(schemas: dict[str, Any], body: Any) -> dict[str, Any]:
    media: Mapping[str, Any] = body if isinstance(body, Mapping) else {"application/json": body}
    content = {}
    for media_type, model in media.items():
        name = _add_model(schemas, model)
        content[media_type] = {"schema": {"$ref": f"#/components/schemas/{name}"}}
    return {"required": True, "content": content}


def _add_model(schemas: dict[str, Any], model: type[BaseModel]) -> str:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    schemas[model.__name__] = schema
    return model.__name__


def _body_models(handlers: Iterable[Any]) -> set[type[BaseModel]]:
    """The models of the handlers' request bodies, and the models nested in them."""
    seen: set[type[BaseModel]] = set()
    pending = [
        handler.parsed_fn_signature.parameters["data"].annotation
        for handler in handlers
        if "data" in handler.parsed_fn_signature.parameters
    ]
    while pending:
        annotation = pending.pop()
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in seen:
                seen.add(annotation)
                pending.extend(f.annotation for f in annotation.model_fields.values())
        else:
            pending.extend(get_args(annotation))
    return seen


def _handlers_by_operation(app: Litestar) -> dict[tuple[str, str], Any]:
    found: dict[tuple[str, str], Any] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods:
                found[(route.path_format or "/", method.lower())] = handler
    return found
