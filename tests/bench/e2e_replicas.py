"""More processes of a service for ``bench_e2e``: the second, third… ``python -m <service>
serve``, each with the run's environment and an HTTP port and a log file of its own.

The first process of each service is ``tests.processes.running_services``' (it serves the API
the bench calls); :class:`Replicas` starts and stops the others around it, and names every
process for the CPU figures: ``workflow``, ``workflow-2``…
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tests.integration.harness import free_port
from tests.processes import wait_ready


@dataclass
class Replica:
    process: subprocess.Popen[bytes]
    log: BinaryIO
    url: str


def process_name(service: str, index: int) -> str:
    """``workflow`` for the first process, ``workflow-2`` for the second…"""
    return service if index == 1 else f"{service}-{index}"


class Replicas:
    def __init__(
        self,
        env: Mapping[str, str],
        logs: Path,
        first: Mapping[str, int],
        first_urls: Mapping[str, str],
        own_sessions: bool,
    ) -> None:
        """``env``: the services' environment (without their ports); ``logs``: a path prefix
        for the log files; ``first``: each service's first process, its pid and its URL;
        ``own_sessions``: start each process in a session of its own, as the first ones."""
        self._env = dict(env)
        self._own_sessions = own_sessions
        self._logs = logs
        self._first = dict(first)
        self._first_urls = dict(first_urls)
        self._extra: dict[str, list[Replica]] = {}

    def count(self, service: str) -> int:
        return 1 + len(self._extra.get(service, []))

    def scale(self, service: str, total: int) -> None:
        """Start or stop ``service``'s extra processes until ``total`` run (the first stays);
        wait until the started ones answer ``/ready``."""
        extra = self._extra.setdefault(service, [])
        started = []
        while self.count(service) < total:
            port = free_port()
            name = process_name(service, self.count(service) + 1)
            log = (self._logs.parent / f"{self._logs.name}-{name}.log").open("wb")
            process = subprocess.Popen(
                [sys.executable, "-m", service, "serve"],
                env={**self._env, f"{service.upper()}_PORT": str(port)},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=self._own_sessions,
            )
            extra.append(Replica(process, log, f"http://127.0.0.1:{port}"))
            started.append(extra[-1])
        while self.count(service) > max(1, total):
            _stop(extra.pop())
        if started:
            urls = {str(n): replica.url for n, replica in enumerate(started)}
            wait_ready(urls, list(urls), 90)

    def pids(self, service: str | None = None) -> dict[str, int]:
        """Every process (of ``service``, or of all), by name."""
        found = {}
        for name, pid in self._first.items():
            if service in (None, name):
                found[name] = pid
                for index, replica in enumerate(self._extra.get(name, []), start=2):
                    found[process_name(name, index)] = replica.process.pid
        return found

    def urls(self, service: str) -> dict[str, str]:
        """Every process of ``service``, its URL by name."""
        found = {service: self._first_urls[service]}
        for index, replica in enumerate(self._extra.get(service, []), start=2):
            found[process_name(service, index)] = replica.url
        return found

    @contextlib.contextmanager
    def paused(self, service: str) -> Iterator[None]:
        """Every process of ``service`` stopped (``SIGSTOP``) inside, continued at the end."""
        pids = list(self.pids(service).values())
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        try:
            yield
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGCONT)

    def stop_all(self) -> None:
        for extra in self._extra.values():
            while extra:
                _stop(extra.pop())


def _stop(replica: Replica) -> None:
    replica.process.terminate()
    try:
        replica.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        replica.process.kill()
        replica.process.wait()
    replica.log.close()
