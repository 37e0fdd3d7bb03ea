"""Settings every service reads from the environment (names in the README's Configuration).

Read with ``pydantic-settings``: each service has one typed class (``ServiceSettings`` here for
what every service shares; ``IntakeSettings``, ``WorkflowSettings``, ``NotifierSettings``,
``ConsoleSettings`` in each service's ``config.py``), one field per variable, its docstring the
variable's documentation.

Rules:
- A field's ``validation_alias`` is its variable. ``SERVICE_`` in an alias stands for the
  service's own prefix (``INTAKE_``, ``WORKFLOW_``…): ``SERVICE_PORT`` is ``WORKFLOW_PORT`` in
  workflow.
- An empty variable counts as unset (the default applies), as before.
- A secret or key field (``FromFile`` in its annotation) is read from ``NAME``, else from the
  file named by ``NAME_FILE`` (how deploy/compose and Kubernetes mount secrets).
- A bad value stops the service at start with a :class:`SettingsError` that names the
  variable: ``WORKFLOW_PORT must be a whole number, got 'eighty'``, printed as one line with
  exit code 2 by the service's entry point (``shared.service_main.main_of``). Nothing else
  is read: only the mapping given (the process's environment by default), never a ``.env``
  file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from etapa_contracts.topology import DEFAULT_DELIVERY_LIMIT, Topology

DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_RATE_LIMIT_PER_MINUTE = 6000
"""100 requests a second per user and process: room for a counter system integrated through
one user (600 used to stop it at 10 a second), still a wall for a runaway client."""
DEFAULT_DATABASE_POOL_SIZE = 10
DEFAULT_STATEMENT_CACHE_SIZE = 100
"""asyncpg's own default."""
DEFAULT_OUTBOX_RETENTION_DAYS = 7
DEFAULT_INBOX_RETENTION_DAYS = 30
DEFAULT_CONSUMER_BATCH = 20
"""Messages a consumer applies in one transaction, at most (README, "Throughput (issue 16)")."""
DEFAULT_CONSUMER_LINGER_MS = 20
"""How long a batch that is not full waits for more while its consumer is busy
(docs/throughput-journal.md, "A batch waits only while its consumer is busy")."""
DEFAULT_CONSUMER_PREFETCH_BATCHES = 5
"""Batches' worth of unacked messages a consumer holds (docs/throughput-journal.md,
"Configurations in turn at each rate; the prefetch that keeps a busy replica's batches
full")."""


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def read_secret(env: Mapping[str, str], name: str) -> str | None:
    """A shared secret from ``NAME`` or ``NAME_FILE`` (a path to it, as container secrets are
    mounted; surrounding whitespace is dropped); ``None`` when neither is set."""
    if value := env.get(name):
        return value
    if path := env.get(f"{name}_FILE"):
        try:
            return Path(path).read_text().strip() or None
        except OSError as exc:
            raise SettingsError(f"{name}_FILE: cannot read {path}: {exc.strerror}") from None
    return None


MIN_SECRET_LENGTH = 24
"""Shortest shared secret (operator key, callback token, console key) accepted in production."""

DEMO_SECRETS = frozenset(
    {
        "dev-operator-key",
        "demo-callback-token",
        "etapa-console-development-secret",
        "lab-demo-change-me",
        "visao-clara-demo",
        "change-me",
        "CHANGE_ME",
    }
)
"""Values printed in this repository (README, Makefile, demo data): public, so never secret."""


def check_secret(name: str, value: str | None, environment: str) -> None:
    """Outside development, refuse a demo or short value of the secret ``name`` (unset is the
    caller's business: some secrets are optional)."""
    if value is None or environment in ("development", "test"):
        return
    if value in DEMO_SECRETS or "change-me" in value.lower() or "change_me" in value.lower():
        raise SettingsError(
            f"{name}: a demo value, public in the repository; set a secret of your own "
            f"(ETAPA_ENV={environment})"
        )
    if len(value) < MIN_SECRET_LENGTH:
        raise SettingsError(
            f"{name}: at least {MIN_SECRET_LENGTH} characters outside development, got "
            f"{len(value)} (ETAPA_ENV={environment}); e.g. `openssl rand -hex 32`"
        )


def refuse_demo_outside_development(settings: ServiceSettings) -> None:
    """Demo data (a chain with public passwords) is for development only."""
    if not settings.is_development:
        raise SettingsError(
            f"seed-demo: no demo data outside development (ETAPA_ENV={settings.environment}): "
            "its users' password is public"
        )


def default_database_url(service: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/etapa_{service}"


SERVICE_PREFIX = "SERVICE_"
"""In an alias, the service's own prefix: ``SERVICE_PORT`` is read as ``INTAKE_PORT`` in intake."""


@dataclass(frozen=True, slots=True)
class FromFile:
    """Annotation of a secret or key field: ``NAME``, else the file ``NAME_FILE`` names.

    ``pem``: a key (``\\n`` in the variable stands for a line break; the file is read as it
    is); otherwise a shared secret (the file's surrounding whitespace is dropped)."""

    pem: bool = False


class _MappingSource(EnvSettingsSource):
    """pydantic-settings' environment source over a given mapping instead of ``os.environ``."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        self._env = env
        super().__init__(settings_cls, case_sensitive=True, env_ignore_empty=True)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {name: value for name, value in self._env.items() if value != ""}


class EnvSettings(BaseSettings):
    """A service's settings: frozen, one field per variable, read by :meth:`read`."""

    model_config = SettingsConfigDict(
        frozen=True,
        extra="ignore",
        case_sensitive=True,
        populate_by_name=True,
        use_attribute_docstrings=True,
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)  # what ``read`` hands over, nothing from os.environ or files

    @classmethod
    def read(
        cls, env: Mapping[str, str] | None = None, *, prefix_of: str | None = None, **given: Any
    ) -> Self:
        """The settings in ``env`` (the process's environment by default). ``prefix_of`` names
        the service whose prefix ``SERVICE_`` aliases stand for; ``given`` are defaults for
        fields (by name) that the variables override."""
        env = os.environ if env is None else env
        prefix = f"{prefix_of.upper()}_" if prefix_of else None
        view = dict(env)
        if prefix is not None:
            view.update(
                {
                    SERVICE_PREFIX + name[len(prefix) :]: v
                    for name, v in env.items()
                    if name.startswith(prefix)
                }
            )
        _read_files(cls, view, prefix)
        defaults = {_key(cls, name): value for name, value in given.items()}
        values = {**defaults, **_MappingSource(cls, view)()}
        try:
            return cls(**values)
        except ValidationError as exc:
            raise SettingsError(_describe(exc, prefix)) from None


def _key(cls: type[EnvSettings], name: str) -> str:
    """The key a field is validated from: its variable, or its name when it has none."""
    alias = cls.model_fields[name].validation_alias
    return alias if isinstance(alias, str) else name


def _variable(alias: str, prefix: str | None) -> str:
    if prefix is not None and alias.startswith(SERVICE_PREFIX):
        return prefix + alias[len(SERVICE_PREFIX) :]
    return alias


def _read_files(cls: type[EnvSettings], view: dict[str, str], prefix: str | None) -> None:
    """Put each ``FromFile`` field's file content under its variable, when only ``_FILE`` is set."""
    for field in cls.model_fields.values():
        marker = next((m for m in field.metadata if isinstance(m, FromFile)), None)
        alias = field.validation_alias
        if marker is None or not isinstance(alias, str):
            continue
        if view.get(alias):
            if marker.pem:
                view[alias] = view[alias].replace("\\n", "\n")
            continue
        variable = _variable(alias, prefix)
        path = view.get(f"{alias}_FILE") or view.get(f"{variable}_FILE")
        if not path:
            continue
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise SettingsError(f"{variable}_FILE: cannot read {path}: {exc.strerror}") from None
        if not marker.pem:
            text = text.strip()
        if text:
            view[alias] = text


def _describe(exc: ValidationError, prefix: str | None) -> str:
    """Each problem as a person fixing the deployment reads it, naming the variable."""
    problems = []
    for error in exc.errors():
        kind, context = error["type"], error.get("ctx", {})
        name = _variable(str(error["loc"][0]), prefix) if error["loc"] else ""
        if kind == "value_error":
            problems.append(
                f"{name}: {context.get('error')}" if name else str(context.get("error"))
            )
            continue
        expected = {
            "int_parsing": "must be a whole number",
            "int_from_float": "must be a whole number",
            "float_parsing": "must be a number",
            "bool_parsing": "must be true or false",
            "missing": "must be set",
        }.get(kind)
        if expected is None and kind == "greater_than_equal":
            expected = f"must be at least {context['ge']}"
        elif expected is None and kind == "greater_than":
            expected = f"must be greater than {context['gt']}"
        elif expected is None and kind == "less_than_equal":
            expected = f"must be at most {context['le']}"
        elif expected is None and kind == "literal_error":
            expected = f"must be one of {context['expected']}"
        elif expected is None:
            expected = f"is not valid ({error['msg']})"
        problems.append(f"{name} {expected}, got {error['input']!r}")
    return "; ".join(problems)


Positive = Annotated[int, Field(ge=1)]
"""A whole number, at least 1."""

Proxies = Annotated[tuple[str, ...], NoDecode]
"""A comma-separated list of addresses or networks."""


def split_list(value: object) -> object:
    """``"a, b,"`` → ``("a", "b")``; other values as they are."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


class ServiceSettings(EnvSettings):
    """What every service reads: its database, the broker, HTTP, logging, tokens, limits."""

    service: str
    """The service's name: intake, workflow, notifier or console (not read: given)."""
    database_url: str = Field("", validation_alias="SERVICE_DATABASE_URL")
    """``<SERVICE>_DATABASE_URL``: the service's own PostgreSQL database (created if missing);
    the pool's connections, so it may point at PgBouncer in transaction pooling mode."""
    database_direct_url: str = Field("", validation_alias="SERVICE_DATABASE_DIRECT_URL")
    """``<SERVICE>_DATABASE_DIRECT_URL``: the same database at PostgreSQL itself, for what needs
    a session of its own and so must not go through PgBouncer in transaction mode: creating the
    database (a session advisory lock), migrating it (at start and ``migrate``) and the outbox
    relay's ``LISTEN``. Empty: ``<SERVICE>_DATABASE_URL``."""
    database_statement_cache_size: int = Field(
        DEFAULT_STATEMENT_CACHE_SIZE, ge=0, validation_alias="SERVICE_DATABASE_STATEMENT_CACHE_SIZE"
    )
    """``<SERVICE>_DATABASE_STATEMENT_CACHE_SIZE``: named prepared statements each pooled
    connection keeps (asyncpg's cache, 100). ``0`` through PgBouncer in transaction mode: before
    PgBouncer 1.21 a named statement prepared on one server connection is unknown on the next
    (unnamed ones, which asyncpg then uses, work: each is parsed and run in one exchange)."""
    outbox_listen: bool = Field(True, validation_alias="SERVICE_OUTBOX_LISTEN")
    """``<SERVICE>_OUTBOX_LISTEN``: the outbox relay keeps one ``LISTEN`` connection (at
    ``<SERVICE>_DATABASE_DIRECT_URL``) and relays an event as its change commits; ``false``:
    no such connection, the relay finds new events by polling (every second)."""
    outbox_relay_thread: bool = Field(True, validation_alias="SERVICE_OUTBOX_RELAY_THREAD")
    """``<SERVICE>_OUTBOX_RELAY_THREAD``: the outbox relay runs on a thread of its own, with one
    connection of its own and a broker connection that only publishes, so its rounds do not wait
    behind the process's requests and messages (``shared.relay_thread``); ``false``: on the
    process's event loop, with its pool and broker."""
    outbox_direct_grace_s: float = Field(
        5.0, ge=0, le=300, validation_alias="SERVICE_OUTBOX_DIRECT_GRACE_S"
    )
    """``<SERVICE>_OUTBOX_DIRECT_GRACE_S``: an event whose statement commits on its own (a staff
    action at intake, an SMS's outcome at the notifier) is published at once from the process
    that wrote it, and its row is left
    to the relay for this many seconds, which publishes it only if that publish failed
    (``shared.outbox_direct``); ``0``: every event goes through the relay."""
    amqp_url: str = Field(DEFAULT_AMQP_URL, validation_alias="ETAPA_AMQP_URL")
    """``ETAPA_AMQP_URL``: the RabbitMQ broker."""
    topology_prefix: str = Field("", validation_alias="ETAPA_TOPOLOGY_PREFIX")
    """``ETAPA_TOPOLOGY_PREFIX``: prefix for exchange and queue names (tests isolate with it)."""
    delivery_limit: Positive = Field(
        DEFAULT_DELIVERY_LIMIT, validation_alias="ETAPA_DELIVERY_LIMIT"
    )
    """``ETAPA_DELIVERY_LIMIT``: deliveries of a message before it is dead-lettered (20)."""
    http_host: str = Field("127.0.0.1", validation_alias="SERVICE_HOST")
    """``<SERVICE>_HOST``: interface the HTTP API listens on."""
    http_port: int = Field(0, ge=0, le=65535, validation_alias="SERVICE_PORT")
    """``<SERVICE>_PORT``: port of the HTTP API (8000, 8001, 8002, 8003)."""
    http_keep_alive_s: int = Field(75, ge=1, le=3600, validation_alias="ETAPA_HTTP_KEEP_ALIVE_S")
    """``ETAPA_HTTP_KEEP_ALIVE_S``: seconds an idle keep-alive connection to the HTTP API stays
    open (75). Longer than its clients keep one idle (the console's httpx 5 s, an nginx
    upstream's 60 s), so that a client never writes a request on a connection the service is
    closing, which meets a reset (uvicorn's own default, 5 s, is the console's)."""
    log_level: str = Field("INFO", validation_alias="ETAPA_LOG_LEVEL")
    """``ETAPA_LOG_LEVEL``: INFO by default."""
    log_format: str = Field("json", validation_alias="ETAPA_LOG_FORMAT")
    """``ETAPA_LOG_FORMAT``: ``json`` (default) or ``console`` for people."""
    environment: str = Field("development", validation_alias="ETAPA_ENV")
    """``ETAPA_ENV``: ``development`` (default), ``test`` or ``production``; outside development
    the services refuse development defaults for secrets."""
    jwt_public_key: Annotated[str | None, FromFile(pem=True)] = Field(
        None, validation_alias="ETAPA_JWT_PUBLIC_KEY", repr=False
    )
    """``ETAPA_JWT_PUBLIC_KEY`` or ``ETAPA_JWT_PUBLIC_KEY_FILE``: PEM key that checks tokens."""
    shared_rate_limit_per_minute: Positive = Field(
        DEFAULT_RATE_LIMIT_PER_MINUTE, validation_alias="ETAPA_RATE_LIMIT_PER_MINUTE"
    )
    """``ETAPA_RATE_LIMIT_PER_MINUTE``: the limit below for every service that sets none."""
    rate_limit_per_minute: Positive = Field(
        DEFAULT_RATE_LIMIT_PER_MINUTE, validation_alias="SERVICE_RATE_LIMIT_PER_MINUTE"
    )
    """``<SERVICE>_RATE_LIMIT_PER_MINUTE``, else ``ETAPA_RATE_LIMIT_PER_MINUTE``: requests per
    user (or client address) per minute and process."""
    database_pool_size: Positive = Field(
        DEFAULT_DATABASE_POOL_SIZE, validation_alias="SERVICE_DATABASE_POOL_SIZE"
    )
    """``<SERVICE>_DATABASE_POOL_SIZE``: most connections the process's pool opens (the
    relay's own connection and its listening one are two more); size N replicas × (pool + 2)
    under PostgreSQL's ``max_connections``, or under PgBouncer's ``max_client_conn`` when the
    pool goes through it (README, "Database connections")."""
    consumer_batch: int = Field(
        DEFAULT_CONSUMER_BATCH, ge=1, le=500, validation_alias="SERVICE_CONSUMER_BATCH"
    )
    """``<SERVICE>_CONSUMER_BATCH``: each event consumer applies up to this many messages, those
    that have arrived, in one transaction, one by one if one fails (``shared.consumer_batches``),
    and holds up to ``<SERVICE>_CONSUMER_PREFETCH_BATCHES`` times as many unacked; ``1``: one
    message, one transaction, prefetch 1."""
    consumer_prefetch_batches: int = Field(
        DEFAULT_CONSUMER_PREFETCH_BATCHES,
        ge=2,
        le=50,
        validation_alias="SERVICE_CONSUMER_PREFETCH_BATCHES",
    )
    """``<SERVICE>_CONSUMER_PREFETCH_BATCHES``: with batches, each event consumer holds up to
    this many batches' worth of unacked messages (its prefetch, 5 × 20 = 100 by default): at
    least 2, so that the next batch fills while one is applied. With replicas, the one of the
    highest consumer priority keeps this many for its own full batches before the next replica
    takes the overflow: with 2, on two busy cores, a second workflow replica took a quarter of
    the actions in batches of 4 to 10, and 2 + 2 processes committed less than 1 + 1 (README,
    "Throughput (issue 16)")."""
    consumer_linger_ms: int = Field(
        DEFAULT_CONSUMER_LINGER_MS, ge=0, le=1000, validation_alias="SERVICE_CONSUMER_LINGER_MS"
    )
    """``<SERVICE>_CONSUMER_LINGER_MS``: with batches, a batch that is not full waits this many
    milliseconds for more messages before it starts, when its consumer is busy (its messages came
    while the batch before was applied): fewer, larger transactions near saturation, each
    message up to that much later (``shared.consumer_batches``); ``0``: a batch starts as soon
    as its first message arrives."""
    consumer_priority: int | None = Field(
        None,
        ge=-1_000_000,
        le=1_000_000,
        validation_alias="SERVICE_CONSUMER_PRIORITY",
    )
    """``<SERVICE>_CONSUMER_PRIORITY``: the RabbitMQ consumer priority (``x-priority``) of every
    event consumer of the process. The broker gives a queue's messages to its highest-priority
    consumer while that one has room in its prefetch, and the overflow to the next: below what one
    replica keeps up with, one replica takes every message in full batches instead of each
    replica half of them in smaller ones. Unset: the process draws one at random (1..9,999) when
    it starts (``shared.messaging.draw_consumer_priority``), so replicas differ; the same value
    in every replica shares messages round-robin."""
    outbox_retention_days: Positive = Field(
        DEFAULT_OUTBOX_RETENTION_DAYS, validation_alias="ETAPA_OUTBOX_RETENTION_DAYS"
    )
    """``ETAPA_OUTBOX_RETENTION_DAYS``: a published outbox row is deleted this many days after it
    was published (7); an unpublished one is always kept (``shared.message_retention``)."""
    inbox_retention_days: Positive = Field(
        DEFAULT_INBOX_RETENTION_DAYS, validation_alias="ETAPA_INBOX_RETENTION_DAYS"
    )
    """``ETAPA_INBOX_RETENTION_DAYS``: an inbox record, which makes a second copy of a message
    change nothing, is deleted this many days after its message was handled (30): longer than a
    message can take to come again (a redelivery, a relay's repeat, dead letters moved back)."""
    trusted_proxies: Proxies = Field((), validation_alias="ETAPA_TRUSTED_PROXIES")
    """``ETAPA_TRUSTED_PROXIES``: comma-separated addresses or networks of the reverse proxies
    (and the console) whose ``X-Forwarded-For`` names the client; none by default, so a client
    cannot pick the address its rate limits and lockouts count against."""

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        return split_list(value)

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        if not data.get("SERVICE_DATABASE_URL") and "service" in data:
            data["SERVICE_DATABASE_URL"] = default_database_url(data["service"])
        if not data.get("SERVICE_DATABASE_DIRECT_URL") and data.get("SERVICE_DATABASE_URL"):
            data["SERVICE_DATABASE_DIRECT_URL"] = data["SERVICE_DATABASE_URL"]
        shared = data.get("ETAPA_RATE_LIMIT_PER_MINUTE")
        if (
            "SERVICE_RATE_LIMIT_PER_MINUTE" not in data
            and str(shared).isdigit()
            and int(str(shared)) >= 1
        ):
            data["SERVICE_RATE_LIMIT_PER_MINUTE"] = shared  # a bad one is named by its own field
        return data

    @property
    def listen_url(self) -> str | None:
        """Where the outbox relay listens for new events; ``None``: it only polls."""
        return self.database_direct_url if self.outbox_listen else None

    @property
    def topology(self) -> Topology:
        """Exchange and queue names (``ETAPA_TOPOLOGY_PREFIX``, ``ETAPA_DELIVERY_LIMIT``)."""
        return Topology(prefix=self.topology_prefix, delivery_limit=self.delivery_limit)

    @property
    def is_development(self) -> bool:
        return self.environment in ("development", "test")

    @classmethod
    def from_env(
        cls, service: str, default_port: int, env: Mapping[str, str] | None = None
    ) -> ServiceSettings:
        """``service``'s settings from ``env`` (the process's environment by default)."""
        return cls.read(env, prefix_of=service, service=service, http_port=default_port)
