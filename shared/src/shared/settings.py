"""Settings every service reads from the environment (names in the README's Configuration)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from etapa_contracts.topology import DEFAULT_DELIVERY_LIMIT, Topology

DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_RATE_LIMIT_PER_MINUTE = 6000
"""100 requests a second per user and process: room for a counter system integrated through
one user (600 used to stop it at 10 a second), still a wall for a runaway client."""
DEFAULT_DATABASE_POOL_SIZE = 10


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def read_key(env: Mapping[str, str], name: str) -> str | None:
    """A PEM key from ``NAME`` (the PEM text) or ``NAME_FILE`` (a path to it)."""
    if value := env.get(name):
        return value.replace("\\n", "\n")
    if path := env.get(f"{name}_FILE"):
        try:
            return Path(path).read_text()
        except OSError as exc:
            raise SettingsError(f"{name}_FILE: cannot read {path}: {exc.strerror}") from None
    return None


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


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    service: str
    """The service's name: intake, workflow or notifier."""
    database_url: str
    """``<SERVICE>_DATABASE_URL``: the service's own PostgreSQL database (created if missing)."""
    amqp_url: str
    """``ETAPA_AMQP_URL``: the RabbitMQ broker."""
    topology: Topology
    """``ETAPA_TOPOLOGY_PREFIX``: prefix for exchange and queue names (tests isolate with it)."""
    http_host: str
    """``<SERVICE>_HOST``: interface the HTTP API listens on."""
    http_port: int
    """``<SERVICE>_PORT``: port of the HTTP API (8000, 8001, 8002)."""
    log_level: str
    """``ETAPA_LOG_LEVEL``: INFO by default."""
    log_format: str
    """``ETAPA_LOG_FORMAT``: ``json`` (default) or ``console`` for people."""
    environment: str = "development"
    """``ETAPA_ENV``: ``development`` (default), ``test`` or ``production``; outside development
    the services refuse development defaults for secrets."""
    jwt_public_key: str | None = None
    """``ETAPA_JWT_PUBLIC_KEY`` or ``ETAPA_JWT_PUBLIC_KEY_FILE``: PEM key that checks tokens."""
    rate_limit_per_minute: int = DEFAULT_RATE_LIMIT_PER_MINUTE
    """``<SERVICE>_RATE_LIMIT_PER_MINUTE``, else ``ETAPA_RATE_LIMIT_PER_MINUTE``: requests per
    user (or client address) per minute and process."""
    database_pool_size: int = DEFAULT_DATABASE_POOL_SIZE
    """``<SERVICE>_DATABASE_POOL_SIZE``: most connections the process's pool opens (the
    relay's listening connection is one more); size N replicas × (pool + 1) under PostgreSQL's
    ``max_connections``."""
    trusted_proxies: tuple[str, ...] = ()
    """``ETAPA_TRUSTED_PROXIES``: comma-separated addresses or networks of the reverse proxies
    (and the console) whose ``X-Forwarded-For`` names the client; none by default, so a client
    cannot pick the address its rate limits and lockouts count against."""

    @property
    def is_development(self) -> bool:
        return self.environment in ("development", "test")

    @classmethod
    def from_env(
        cls, service: str, default_port: int, env: Mapping[str, str] | None = None
    ) -> ServiceSettings:
        env = os.environ if env is None else env
        upper = service.upper()
        return cls(
            service=service,
            database_url=env.get(f"{upper}_DATABASE_URL", default_database_url(service)),
            amqp_url=env.get("ETAPA_AMQP_URL", DEFAULT_AMQP_URL),
            topology=Topology(
                prefix=env.get("ETAPA_TOPOLOGY_PREFIX", ""),
                delivery_limit=_int(env, "ETAPA_DELIVERY_LIMIT", DEFAULT_DELIVERY_LIMIT),
            ),
            http_host=env.get(f"{upper}_HOST", "127.0.0.1"),
            http_port=_int(env, f"{upper}_PORT", default_port),
            log_level=env.get("ETAPA_LOG_LEVEL", "INFO"),
            log_format=env.get("ETAPA_LOG_FORMAT", "json"),
            environment=env.get("ETAPA_ENV", "development"),
            jwt_public_key=read_key(env, "ETAPA_JWT_PUBLIC_KEY"),
            rate_limit_per_minute=_positive(
                env,
                f"{upper}_RATE_LIMIT_PER_MINUTE",
                _positive(env, "ETAPA_RATE_LIMIT_PER_MINUTE", DEFAULT_RATE_LIMIT_PER_MINUTE),
            ),
            database_pool_size=_positive(
                env, f"{upper}_DATABASE_POOL_SIZE", DEFAULT_DATABASE_POOL_SIZE
            ),
            trusted_proxies=tuple(
                part.strip()
                for part in env.get("ETAPA_TRUSTED_PROXIES", "").split(",")
                if part.strip()
            ),
        )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise SettingsError(f"{name} must be at least 1, got {value}")
    return value
