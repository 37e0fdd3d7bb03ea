"""Settings every service reads from the environment (names in the README's Configuration)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from shared.topology import DEFAULT_DELIVERY_LIMIT, Topology

DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


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
        )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
