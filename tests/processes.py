"""Etapa's services as separate processes (`python -m <service> serve`), for e2e and browser tests.

Each run gets free ports, its own databases and queue names (see ``tests.infra``), and a log
file per service under ``ETAPA_E2E_LOG_DIR`` (``/tmp`` by default), named in failures.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import httpx

from tests.broker_cleanup import delete_topology, run_apart
from tests.infra import Infra
from tests.integration.harness import free_port

LOGS = Path(os.environ.get("ETAPA_E2E_LOG_DIR", "/tmp"))
BACKENDS = ("intake", "workflow", "notifier")


def run_command(env: dict[str, str], *args: str) -> None:
    """``python -m <args>`` to completion (migrate, seed-demo), failing loudly."""
    result = subprocess.run(
        [sys.executable, "-m", *args], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"python -m {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


@contextlib.contextmanager
def running_services(
    infra: Infra,
    suffix: str,
    services: Sequence[str] = BACKENDS,
    *,
    demo: bool = False,
    own_sessions: bool = False,
    **extra_env: str,
) -> Iterator[dict[str, str]]:
    """Start ``services`` as processes; yields their URLs (and the environment's database URLs,
    and each service's log file as ``<service>_log``).

    With ``demo``, the databases are migrated and the demo chain seeded first (the same
    commands ``make run`` uses), so the demo users and flows exist. With ``own_sessions``,
    each process starts in a session of its own, as under ``make run`` (the benches).
    """
    env = {**os.environ, **infra.service_env(suffix, **extra_env)}
    ports = {service: free_port() for service in services}
    for service, port in ports.items():
        env[f"{service.upper()}_PORT"] = str(port)
    for backend in BACKENDS:
        if backend in ports:
            env[f"CONSOLE_{backend.upper()}_URL"] = f"http://127.0.0.1:{ports[backend]}"
    if "console" in ports:
        # The SMS {link} opens this console's customer page, as under `make run`; the console
        # passes the customer's address to workflow's tracking read as X-Forwarded-For.
        defaults = {
            "ETAPA_TRACKING_BASE_URL": f"http://127.0.0.1:{ports['console']}",
            "WORKFLOW_TRACKING_TRUSTED_PROXIES": "127.0.0.1",
        }
        env.update({k: v for k, v in defaults.items() if k not in extra_env})
    if demo:
        for backend in BACKENDS:
            run_command(env, backend, "migrate")
        run_command(env, "workflow", "seed-demo")
        run_command(env, "workflow", "seed-demo-history")
        run_command(env, "intake", "seed-demo")
    urls = {service: f"http://127.0.0.1:{port}" for service, port in ports.items()}
    urls["workflow_database"] = env["WORKFLOW_DATABASE_URL"]
    logs = {
        service: LOGS / f"etapa-e2e-{infra.run_id}-{suffix}-{service}.log" for service in services
    }
    urls.update({f"{service}_log": str(path) for service, path in logs.items()})
    started: list[tuple[subprocess.Popen[bytes], BinaryIO]] = []
    try:
        for service in services:
            log = logs[service].open("wb")
            process = subprocess.Popen(
                [sys.executable, "-m", service, "serve"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=own_sessions,
            )
            started.append((process, log))
        yield urls
    finally:
        for process, _ in started:
            process.terminate()
        for process, log_file in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log_file.close()
        with contextlib.suppress(Exception):  # a broker a test stopped: the session's end retries
            run_apart(delete_topology(infra, {suffix}))


def wait_ready(urls: dict[str, str], services: Sequence[str], timeout: float = 60) -> None:
    """Block until every service's ``/ready`` answers 200."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=5) as client:
        for service in services:
            while True:
                try:
                    if client.get(f"{urls[service]}/ready").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{service} at {urls[service]} not ready after {timeout} s")
                time.sleep(0.2)
