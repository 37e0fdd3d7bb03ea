"""The three services inside the test process, each behind a real uvicorn server.

They use the run's own databases and queue names (``tests.infra``), real HTTP on free ports,
and the real broker, so a test drives them exactly as a client would.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

import httpx
import uvicorn
from litestar import Litestar

import intake.bootstrap
import notifier.bootstrap
import workflow.bootstrap
from intake.config import IntakeSettings
from notifier.config import NotifierSettings
from shared.database import create_pool
from shared.messaging import draw_consumer_priority
from shared.service_main import server_options
from shared.settings import ServiceSettings
from tests.infra import bearer as bearer  # tests import it from here too
from workflow.adapters.postgres.stores import PostgresStores
from workflow.config import WorkflowSettings
from workflow.domain.calendar import DayCounting
from workflow.domain.flow import Stage
from workflow.usecases.save_flow_version import store_version

TEST_FLOW = (
    Stage(
        "recebido",
        "Recebido",
        1,
        DayCounting.BUSINESS,
        sms_template="Olá {nome}! OS {numero_os} recebida na {filial}. Entrega: {data_prometida}.",
    ),
    Stage("producao", "Produção", 3, DayCounting.BUSINESS),
    Stage(
        "pronto", "Pronto para retirada", 0, DayCounting.BUSINESS, sms_template="{nome}, pronto!"
    ),
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class RunningServices:
    env: dict[str, str]
    urls: dict[str, str] = field(default_factory=dict)
    _servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = field(default_factory=list)

    async def start(self) -> None:
        apps: dict[str, Litestar] = {
            "intake": intake.bootstrap.create_app(IntakeSettings.from_env(self._env_for("intake"))),
            "workflow": workflow.bootstrap.create_app(
                WorkflowSettings.from_env(self._env_for("workflow"))
            ),
            "notifier": notifier.bootstrap.create_app(
                NotifierSettings.from_env(self._env_for("notifier"))
            ),
        }
        for name, app in apps.items():
            port = int(self.env[f"{name.upper()}_PORT"])
            server = uvicorn.Server(
                uvicorn.Config(
                    app,
                    host="127.0.0.1",
                    port=port,
                    log_config=None,
                    lifespan="on",
                    # as `serve` runs them (with no ETAPA_TRUSTED_PROXIES: X-Forwarded-For ignored)
                    **server_options(ServiceSettings.from_env(name, port, self.env)),
                )
            )
            task = asyncio.create_task(server.serve())
            self._servers.append((server, task))
            self.urls[name] = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient() as client:
            for url in self.urls.values():
                await wait_until_ready(client, url)

    def _env_for(self, service: str) -> Mapping[str, str]:
        """The env, with the service's port and its consumer priority (drawn as a process draws
        it), so that a test can start a replica beside it with the same priority."""
        self.env.setdefault(f"{service.upper()}_PORT", str(free_port()))
        self.env.setdefault(f"{service.upper()}_CONSUMER_PRIORITY", str(draw_consumer_priority()))
        return self.env

    async def stop(self) -> None:
        for server, _ in self._servers:
            server.should_exit = True
        await asyncio.gather(*(task for _, task in self._servers), return_exceptions=True)


async def wait_until_ready(client: httpx.AsyncClient, url: str, timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            response = await client.get(f"{url}/ready")
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"{url} not ready after {timeout} s")
        await asyncio.sleep(0.2)


async def save_test_flow(workflow_database_url: str, chain_id: UUID, code: str = "teste") -> None:
    pool = await create_pool(workflow_database_url)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await store_version(
                PostgresStores(conn),
                chain_id,
                code,
                "Serviço de teste",
                TEST_FLOW,
                now=datetime.now(UTC),
            )
    finally:
        await pool.close()


async def eventually(check, timeout: float = 15, interval: float = 0.2):  # type: ignore[no-untyped-def]
    """Await ``check()`` until it returns something truthy; fail with its last value."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s; last value: {result!r}")
        await asyncio.sleep(interval)


def lab_time(**delta: float) -> str:
    """A lab's ``occurred_at`` this far from now, in São Paulo's offset: intake accepts lab
    times only within a window around the time it receives them."""
    moment = datetime.now(UTC) + timedelta(**delta)
    return moment.astimezone(timezone(timedelta(hours=-3))).isoformat(timespec="seconds")
