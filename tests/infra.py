"""The real PostgreSQL and RabbitMQ the integration and end-to-end tests use.

Servers come from ``ETAPA_TEST_POSTGRES_URL`` and ``ETAPA_TEST_AMQP_URL``. Without them, and
only where a Docker engine answers, testcontainers starts both. With neither, the tests fail
with a message that says so: they are never skipped.

Every run gets its own databases (``etapa_<service>_<run id>``) and its own exchange and queue
names (prefix ``<run id>.``), so it never touches a running ``make run``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

from shared.auth import Role, TokenIssuer, generate_key_pair, principal_for

SERVICES = ("intake", "workflow", "notifier")
TEST_PRIVATE_KEY, TEST_PUBLIC_KEY = generate_key_pair()
"""The run's own signing pair: tests sign tokens for any chain and role with it."""
OPERATOR_KEY = "test-operator-key"


def bearer(
    chain_id: UUID | str,
    role: Role | str = Role.CHAIN_ADMIN,
    branches: Iterable[UUID | str] = (),
    user_id: UUID | str | None = None,
) -> dict[str, str]:
    """Headers with a token for ``role`` in ``chain_id``, signed with the run's key."""
    token = TokenIssuer(TEST_PRIVATE_KEY).issue(principal_for(chain_id, role, branches, user_id))
    return {"Authorization": f"Bearer {token}"}


RUN_ID_PATTERN = re.compile(
    r"^(?:etapa_[a-z]+_)?t(?P<started>[0-9a-f]{8})[0-9a-f]{4}(?:[.]|[a-z0-9_]*$)"
)
"""A test run's queue, exchange or database name: its run id is ``t``, the start time (seconds
since the epoch, 8 hex digits) and 4 random hex digits, so a later run can tell what a killed
run left behind and how old it is."""


def new_run_id(now: float | None = None) -> str:
    started = int(time.time() if now is None else now)
    return f"t{started:08x}{uuid.uuid4().hex[:4]}"


def run_started_at(name: str) -> int | None:
    """When the test run that owns ``name`` started (epoch seconds); ``None`` for other names."""
    match = RUN_ID_PATTERN.match(name)
    return int(match["started"], 16) if match else None


@dataclass
class Infra:
    postgres_url: str
    amqp_url: str
    run_id: str = field(default_factory=lambda: new_run_id())
    suffixes: set[str] = field(default_factory=lambda: {""})

    def database_url(self, service: str, suffix: str = "") -> str:
        parts = urlsplit(self.postgres_url)
        return urlunsplit(parts._replace(path=f"/etapa_{service}_{self.run_id}{suffix}"))

    @property
    def prefix(self) -> str:
        return f"{self.run_id}."

    def service_env(self, suffix: str = "", **extra: str) -> dict[str, str]:
        """Environment for services of this run; a ``suffix`` gives them databases of their own."""
        self.suffixes.add(suffix)
        env = {
            "ETAPA_AMQP_URL": self.amqp_url,
            "ETAPA_TOPOLOGY_PREFIX": self.prefix + (suffix + "." if suffix else ""),
            "ETAPA_DELIVERY_LIMIT": "3",
            "ETAPA_LOG_LEVEL": "INFO",
            "ETAPA_ENV": "test",
            "ETAPA_JWT_PUBLIC_KEY": TEST_PUBLIC_KEY,
            "INTAKE_JWT_PRIVATE_KEY": TEST_PRIVATE_KEY,
            "INTAKE_OPERATOR_KEY": OPERATOR_KEY,
            "ETAPA_RATE_LIMIT_PER_MINUTE": "100000",
        }
        for service in SERVICES:
            env[f"{service.upper()}_DATABASE_URL"] = self.database_url(service, suffix)
        env.update(extra)
        return env


def _docker_engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    result = subprocess.run(["docker", "info"], capture_output=True, timeout=20, check=False)
    return result.returncode == 0


@contextlib.contextmanager
def provide_infra() -> Iterator[Infra]:
    postgres_url = os.environ.get("ETAPA_TEST_POSTGRES_URL")
    amqp_url = os.environ.get("ETAPA_TEST_AMQP_URL")
    if postgres_url and amqp_url:
        yield Infra(postgres_url, amqp_url)
        return
    if not _docker_engine_answers():
        raise RuntimeError(
            "Integration tests need PostgreSQL and RabbitMQ: set ETAPA_TEST_POSTGRES_URL and "
            "ETAPA_TEST_AMQP_URL (make test sets them to the local servers), or run where a "
            "Docker engine answers so that testcontainers can start them."
        )
    from testcontainers.postgres import PostgresContainer
    from testcontainers.rabbitmq import RabbitMqContainer

    with PostgresContainer("postgres:15") as pg, RabbitMqContainer("rabbitmq:3.13") as mq:
        url = pg.get_connection_url().replace("postgresql+psycopg2://", "postgresql://")
        params = mq.get_connection_params()
        amqp = f"amqp://guest:guest@{params.host}:{params.port}/"
        yield Infra(url, amqp)
