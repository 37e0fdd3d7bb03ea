"""Intake, workflow and the notifier as processes through a real PgBouncer in transaction mode.

PgBouncer is Debian's (``/usr/sbin/pgbouncer``, 1.18; ``make pgbouncer`` installs it), started
here on a free port in front of the test PostgreSQL with the cluster overlay's own
``pgbouncer.ini`` (``deploy/k8s/overlays/cluster/pgbouncer.yaml``): only the addresses, the
authentication (the test server's ``trust``), the admin user and the server pool size change.
The pool is 3 server connections per database here (10 deployed), against pools of 10 in each
service, so clients must share them.

The services are configured as the cluster overlay configures them: each pool through
PgBouncer with no named prepared statements (``<SERVICE>_DATABASE_STATEMENT_CACHE_SIZE=0``);
creating and migrating the databases at PostgreSQL itself (``<SERVICE>_DATABASE_DIRECT_URL``);
intake's and workflow's relays LISTEN there too, the notifier's only polls
(``NOTIFIER_OUTBOX_LISTEN=false``). Orders are opened and advanced at intake at once; every
SMS must reach the fake provider, while a sampler reads PgBouncer's ``SHOW POOLS`` and
PostgreSQL's ``pg_stat_activity`` every 50 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import psycopg
import pytest
import yaml

from shared.database import create_pool
from tests.fakes.sms_provider import FakeSmsProvider
from tests.infra import OPERATOR_KEY, Infra
from tests.integration.harness import eventually, free_port, save_test_flow, wait_until_ready
from tests.processes import BACKENDS, LOGS, running_services

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DEPLOYED = ROOT / "deploy" / "k8s" / "overlays" / "cluster" / "pgbouncer.yaml"
PGBOUNCER = os.environ.get("ETAPA_PGBOUNCER", "/usr/sbin/pgbouncer")
SERVER_POOL = 3
"""PgBouncer's ``default_pool_size`` here: server connections per database."""
CLIENT_POOL = 10
"""Each service's ``<SERVICE>_DATABASE_POOL_SIZE``."""
ORDERS = 24
SERVER_STATES = ("sv_active", "sv_idle", "sv_used", "sv_tested", "sv_login")


def deployed_ini() -> str:
    """The cluster overlay's pgbouncer.ini, as the ConfigMap etapa-pgbouncer carries it."""
    for document in yaml.safe_load_all(DEPLOYED.read_text()):
        if document and document["kind"] == "ConfigMap":
            ini: str = document["data"]["pgbouncer.ini"]
            return ini
    raise AssertionError(f"no ConfigMap in {DEPLOYED}")


def ini_for_the_test(deployed: str, overrides: dict[str, str], databases: str) -> str:
    """``deployed`` with ``overrides`` in its [pgbouncer] section, its ``%include`` (the
    Secret's [databases]) replaced by ``databases``."""
    lines, seen = [], set()
    for line in deployed.splitlines():
        key = line.partition("=")[0].strip()
        if line.startswith("%include"):
            continue
        if "=" in line and not line.lstrip().startswith(";") and key in overrides:
            line = f"{key} = {overrides[key]}"
            seen.add(key)
        lines.append(line)
    lines += [f"{key} = {value}" for key, value in overrides.items() if key not in seen]
    return "\n".join([*lines, databases, ""])


@dataclass
class PgBouncer:
    """A PgBouncer process of this test, in front of the PostgreSQL at ``postgres_url``."""

    postgres_url: str
    pool_size: int
    port: int = field(default_factory=free_port)
    _process: subprocess.Popen[bytes] | None = None
    _directory: Path | None = None

    @property
    def user(self) -> str:
        return urlsplit(self.postgres_url).username or "postgres"

    def url(self, database_url: str) -> str:
        """``database_url`` (a database at the test PostgreSQL) reached through PgBouncer."""
        parts = urlsplit(database_url)
        netloc = f"{parts.username or self.user}@127.0.0.1:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    @property
    def log(self) -> Path:
        return LOGS / f"etapa-e2e-pgbouncer-{self.port}.log"

    def __enter__(self) -> PgBouncer:
        server = urlsplit(self.postgres_url)
        # PgBouncer refuses to run as root: as root it is started with -u nobody, which must
        # read the files (pytest's tmp_path is private to root).
        self._directory = Path(tempfile.mkdtemp(prefix="etapa-pgbouncer-"))
        self._directory.chmod(0o755)
        users = self._directory / "userlist.txt"
        users.write_text(f'"{self.user}" ""\n')
        ini = self._directory / "pgbouncer.ini"
        ini.write_text(
            ini_for_the_test(
                deployed_ini(),
                {
                    "listen_addr": "127.0.0.1",
                    "listen_port": str(self.port),
                    "auth_type": "trust",
                    "auth_file": str(users),
                    "stats_users": self.user,
                    "default_pool_size": str(self.pool_size),
                },
                f"[databases]\n* = host={server.hostname} port={server.port or 5432}",
            )
        )
        for path in (users, ini):
            path.chmod(0o644)
        as_root = ["-u", "nobody"] if os.geteuid() == 0 else []
        with self.log.open("wb") as log:
            self._process = subprocess.Popen(
                [PGBOUNCER, *as_root, str(ini)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 15
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited: {self.log.read_text()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return self
            if time.monotonic() > deadline:
                raise TimeoutError(f"pgbouncer not listening: {self.log.read_text()}")
            time.sleep(0.05)

    def __exit__(self, *_: object) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGTERM)  # immediate shutdown
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)

    async def show(self, what: str) -> list[dict[str, Any]]:
        """``SHOW <what>`` on the admin console (simple query protocol only, hence psycopg's
        client-side cursor)."""
        async with await psycopg.AsyncConnection.connect(
            self.url("postgresql:///pgbouncer"), autocommit=True
        ) as conn:
            cursor = psycopg.AsyncClientCursor(conn)
            await cursor.execute(f"SHOW {what}")
            names = [column.name for column in cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in await cursor.fetchall()]


@pytest.fixture(scope="module")
def pgbouncer(infra: Infra) -> Iterator[PgBouncer]:
    if not os.access(PGBOUNCER, os.X_OK):
        pytest.fail(f"no PgBouncer at {PGBOUNCER}: run `make pgbouncer`", pytrace=False)
    with PgBouncer(infra.postgres_url, SERVER_POOL) as bouncer:
        yield bouncer


async def test_named_prepared_statements_break_in_transaction_mode_and_unnamed_ones_work(
    pgbouncer: PgBouncer, infra: Infra
) -> None:
    """Why ``<SERVICE>_DATABASE_STATEMENT_CACHE_SIZE=0``: a statement asyncpg prepared (named)
    on one server connection is unknown on the next one PgBouncer lends it. With the cache off
    asyncpg parses each statement unnamed in the same exchange that runs it, which works."""
    url = pgbouncer.url(infra.postgres_url)

    async def second_query_on_another_server(cache: int) -> int:
        pool = await create_pool(url, min_size=2, max_size=2, statement_cache_size=cache)
        try:
            async with pool.acquire() as first, pool.acquire() as second:
                assert await first.fetchval("SELECT $1::int + 1", 1) == 2
                async with second.transaction():  # holds the server `first` just used
                    await second.execute("SELECT 1")
                    value: int = await first.fetchval("SELECT $1::int + 1", 2)
                    return value
        finally:
            await pool.close()

    with pytest.raises(asyncpg.InvalidSQLStatementNameError, match="does not exist"):
        await second_query_on_another_server(cache=100)  # asyncpg's default
    assert await second_query_on_another_server(cache=0) == 3


@dataclass
class Peaks:
    """The most connections seen at once, per database."""

    servers: dict[str, int] = field(default_factory=dict)
    clients: dict[str, int] = field(default_factory=dict)
    waiting: dict[str, int] = field(default_factory=dict)
    backends: dict[str, int] = field(default_factory=dict)
    samples: int = 0

    def keep(self, into: dict[str, int], database: str, value: int) -> None:
        into[database] = max(into.get(database, 0), value)


async def sample(bouncer: PgBouncer, postgres_url: str, databases: list[str], peaks: Peaks) -> None:
    """Every 50 ms: PgBouncer's server and client connections per database (``SHOW POOLS``)
    and PostgreSQL's own count of backends on each (``pg_stat_activity``)."""
    server = await asyncpg.connect(postgres_url)
    try:
        while True:
            for pool in await bouncer.show("POOLS"):
                if pool["database"] in databases:
                    name = pool["database"]
                    peaks.keep(peaks.servers, name, sum(pool[s] for s in SERVER_STATES))
                    peaks.keep(peaks.clients, name, pool["cl_active"] + pool["cl_waiting"])
                    peaks.keep(peaks.waiting, name, pool["cl_waiting"])
            rows = await server.fetch(
                """SELECT datname, count(*) AS n FROM pg_stat_activity
                   WHERE datname = ANY($1::text[]) GROUP BY datname""",
                databases,
            )
            for row in rows:
                peaks.keep(peaks.backends, row["datname"], row["n"])
            peaks.samples += 1
            await asyncio.sleep(0.05)
    finally:
        await server.close()


@contextlib.asynccontextmanager
async def sampling(
    bouncer: PgBouncer, postgres_url: str, databases: list[str]
) -> AsyncIterator[Peaks]:
    peaks = Peaks()
    task = asyncio.create_task(sample(bouncer, postgres_url, databases, peaks))
    try:
        yield peaks
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_orders_opened_and_advanced_through_pgbouncer_send_every_sms_on_few_connections(
    pgbouncer: PgBouncer, infra: Infra
) -> None:
    suffix = "pgb"
    direct = {service: infra.database_url(service, suffix) for service in BACKENDS}
    databases = [urlsplit(url).path.lstrip("/") for url in direct.values()]
    env: dict[str, str] = {
        "NOTIFIER_SENDING_HOURS": "always",
        "NOTIFIER_DISPATCH_INTERVAL": "0.2",
        "NOTIFIER_OUTBOX_LISTEN": "false",
    }
    for service, url in direct.items():
        prefix = service.upper()
        env[f"{prefix}_DATABASE_URL"] = pgbouncer.url(url)
        env[f"{prefix}_DATABASE_DIRECT_URL"] = url
        env[f"{prefix}_DATABASE_STATEMENT_CACHE_SIZE"] = "0"
        env[f"{prefix}_DATABASE_POOL_SIZE"] = str(CLIENT_POOL)
    fake = FakeSmsProvider()
    await fake.start()
    env |= {"NOTIFIER_SMS_PROVIDER": "http", "NOTIFIER_HTTP_URL": f"{fake.url}/sms"}
    started = time.monotonic()
    try:
        with running_services(
            infra, suffix, BACKENDS, demo=False, own_sessions=False, **env
        ) as urls:
            async with httpx.AsyncClient(timeout=30) as http:
                for service in BACKENDS:
                    await wait_until_ready(http, urls[service], timeout=60)
                ready = time.monotonic() - started
                auth, branch_id = await chain_with_flow(http, urls["intake"], direct["workflow"])
                async with sampling(pgbouncer, infra.postgres_url, databases) as peaks:
                    orders = await open_and_advance(http, urls, auth, branch_id, fake)
                stats = {
                    row["database"]: row
                    for row in await pgbouncer.show("STATS")
                    if row["database"] in databases
                }
    finally:
        await fake.stop()

    total_servers = sum(peaks.servers.values())
    print(
        f"\nready {ready:.1f} s, {len(orders)} orders, {len(fake.deliveries)} SMS, "
        f"{time.monotonic() - started:.1f} s in all; {peaks.samples} samples\n"
        f"  PgBouncer clients at once: {peaks.clients} (waiting: {peaks.waiting})\n"
        f"  PgBouncer servers at once: {peaks.servers}\n"
        f"  PostgreSQL backends at once: {peaks.backends}\n"
        f"  transactions through PgBouncer: "
        f"{ {name: int(row['total_xact_count']) for name, row in stats.items()} }"
    )
    assert peaks.samples > 10
    for database in databases:
        assert 0 < peaks.servers[database] <= SERVER_POOL, (database, peaks.servers)
        assert int(stats[database]["total_xact_count"]) > len(orders), stats[database]
        # What PostgreSQL itself saw: PgBouncer's servers, plus the relay's LISTEN connection
        # at the direct URL (intake, workflow; the notifier only polls).
        listening = 0 if database.startswith("etapa_notifier") else 1
        assert peaks.backends[database] <= SERVER_POOL + listening, (database, peaks.backends)
    assert total_servers < len(BACKENDS) * CLIENT_POOL
    # Some service's pool opened more connections than PgBouncer had servers for it: they
    # took turns (intake's 24 orders at once: 10 clients on 3 servers, 7 waiting, here).
    assert max(peaks.clients.values()) > SERVER_POOL, peaks.clients


async def chain_with_flow(
    http: httpx.AsyncClient, intake: str, workflow_database: str
) -> tuple[dict[str, str], str]:
    """A chain signed in as its admin, a branch and the test flow: (headers, branch id)."""
    admin = {"email": f"pgb-{uuid.uuid4().hex[:6]}@example.com", "password": "senha-pgb-12345"}
    chain = await http.post(
        f"{intake}/api/v1/chains",
        headers={"X-Operator-Key": OPERATOR_KEY},
        json={"name": f"Rede PgBouncer {uuid.uuid4().hex[:6]}", "admin": {**admin, "name": "P"}},
    )
    assert chain.status_code == 201, chain.text
    signed_in = await http.post(f"{intake}/api/v1/auth/token", json=admin)
    assert signed_in.status_code == 200, signed_in.text
    auth = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    branch = await http.post(
        f"{intake}/api/v1/branches",
        headers=auth,
        json={
            "code": "PGB01",
            "name": "Ótica Pool",
            "state": "SP",
            "city": "São Paulo",
            "timezone": "America/Sao_Paulo",
        },
    )
    assert branch.status_code == 201, branch.text
    await save_test_flow(workflow_database, uuid.UUID(chain.json()["chain_id"]))
    branch_id: str = branch.json()["branch_id"]
    return auth, branch_id


async def open_and_advance(
    http: httpx.AsyncClient,
    urls: dict[str, str],
    auth: dict[str, str],
    branch_id: str,
    fake: FakeSmsProvider,
) -> list[str]:
    """``ORDERS`` orders opened at once, each advanced twice (to "Pronto para retirada");
    waits for both SMS of every order."""
    intake = urls["intake"]

    async def open_one(n: int) -> str:
        for _ in range(150):  # until intake has the branch and the service type
            response = await http.post(
                f"{intake}/api/v1/orders",
                headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
                json={
                    "branch_id": branch_id,
                    "service_type": "teste",
                    "customer": {
                        "name": f"Cliente {n}",
                        "phone": f"+55 11 98765-{n:04d}",
                        "sms_consent": True,
                    },
                    "promised_date": "2099-12-18",
                },
            )
            if response.status_code == 201:
                order_id: str = response.json()["order_id"]
                return order_id
            await asyncio.sleep(0.2)
        raise AssertionError(f"order {n} not opened: {response.status_code} {response.text}")

    orders = list(await asyncio.gather(*(open_one(n) for n in range(ORDERS))))

    async def first_sms() -> bool:
        return len(fake.deliveries) >= ORDERS

    await eventually(first_sms, timeout=60)

    async def advance_twice(order_id: str) -> None:
        for _ in range(2):
            response = await http.post(
                f"{intake}/api/v1/orders/{order_id}/actions",
                headers=auth,
                json={"action": "advance"},
            )
            assert response.status_code < 300, response.text

    await asyncio.gather(*(advance_twice(order_id) for order_id in orders))

    async def second_sms() -> bool:
        return len(fake.deliveries) >= 2 * ORDERS

    await eventually(second_sms, timeout=60)
    assert len(fake.deliveries) == 2 * ORDERS  # each SMS once
    texts: dict[str, list[str]] = {}
    for request in fake.requests:
        texts.setdefault(str(request.to), []).append(str(request.text))
    assert len(texts) == ORDERS
    for sent in texts.values():
        opened, ready = sent
        assert re.fullmatch(
            r"Olá Cliente! OS PGB01-0000\d\d recebida na Ótica Pool\. Entrega: 18/12/2099\.",
            opened,
        ), sent
        assert ready == "Cliente, pronto!", sent

    async def at_last_stage() -> bool:
        detail = await http.get(f"{urls['workflow']}/api/v1/orders/{orders[7]}", headers=auth)
        return bool(detail.json().get("stage_name") == "Pronto para retirada")

    await eventually(at_last_stage, timeout=30)
    return orders
