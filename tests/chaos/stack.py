"""The three services as processes (``python -m <service> serve``) that a scenario may kill -9
and start again on the same port, against the chaos run's own RabbitMQ node and PostgreSQL.

Nothing here imports a service: the services are reached only by their CLIs and HTTP, as in
production.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import httpx

from tests.infra import Infra
from tests.integration.harness import free_port

LOGS = Path(os.environ.get("ETAPA_E2E_LOG_DIR", "/tmp"))
BACKENDS = ("intake", "workflow", "notifier")


@dataclass
class Services:
    """One scenario run's services: each on a fixed port, each killable and restartable."""

    infra: Infra
    name: str
    extra_env: dict[str, str]
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _logs: list[BinaryIO] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.env = {**os.environ, **self.infra.service_env("", **self.extra_env)}
        for service in BACKENDS:
            self.ports[service] = free_port()
            self.env[f"{service.upper()}_PORT"] = str(self.ports[service])

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def log_path(self, service: str) -> Path:
        return LOGS / f"etapa-chaos-{self.infra.run_id}-{self.name}-{service}.log"

    def start(self, service: str) -> None:
        log = self.log_path(service).open("ab")
        self._logs.append(log)
        self.processes[service] = subprocess.Popen(
            [sys.executable, "-m", service, "serve"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill(self, service: str) -> None:
        """SIGKILL: no shutdown hook runs, in-flight work is cut wherever it is."""
        process = self.processes[service]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    async def wait_ready(self, services: tuple[str, ...] = BACKENDS, timeout: float = 120) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with httpx.AsyncClient(timeout=5) as http:
            for service in services:
                last = "no answer"
                while True:
                    try:
                        answer = await http.get(f"{self.url(service)}/ready")
                        if answer.status_code == 200:
                            break
                        last = f"{answer.status_code} {answer.text[:300]}"
                    except httpx.TransportError as exc:
                        last = repr(exc)
                    if self.processes[service].poll() is not None:
                        raise RuntimeError(
                            f"{service} exited ({self.processes[service].returncode}); "
                            f"see {self.log_path(service)}"
                        )
                    if loop.time() > deadline:
                        raise TimeoutError(f"{service} not ready after {timeout} s: {last}")
                    await asyncio.sleep(0.2)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self._logs:
            log.close()
