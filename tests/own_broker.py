"""A throwaway RabbitMQ node of a test's own, that the test may stop and start.

Tests that take a broker down never touch the shared server on 5672 (other suites use it at the
same time). ``own_rabbitmq()`` starts a second node as a separate process instead: its own name
(``<prefix>-<random>@localhost``), AMQP and distribution ports, a data, log and config directory
under /tmp, and no plugins. ``rabbitmqctl -n <its name>`` controls it: the local Erlang cookie
is shared by every node of the machine's user (under Debian's ``/usr/sbin`` wrappers, root runs
both ``rabbitmq-server`` and ``rabbitmqctl`` as the ``rabbitmq`` user). On the way out the node
is stopped (killed by its own pid if it does not stop) and its directory removed.

    async with own_rabbitmq("etapa-chaos") as node:
        ...  # services on node.amqp_url
        await node.stop_app()   # outage: the node stays, its AMQP listener is gone
        await node.start_app()  # back, accepting AMQP again
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import signal
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

SHARED_NODE_PORTS = frozenset({5672, 25672})
"""The shared server's AMQP and distribution ports: never ours."""


class OwnBrokerError(RuntimeError):
    """The throwaway node could not be started, controlled or stopped (the message says why)."""


class NodeExited(OwnBrokerError):
    """The node's process ended before it accepted AMQP."""


BOOTS = 3
"""How many times ``start`` boots a node that exits while booting, each time afresh."""


def _free_port() -> int:
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if port not in SHARED_NODE_PORTS:
            return port


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


async def _accepts(port: int) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


class OwnRabbitMQ:
    """One RabbitMQ node in a temporary directory, on free ports, that a test may stop."""

    def __init__(self, prefix: str = "etapa-own") -> None:
        for tool in ("rabbitmq-server", "rabbitmqctl"):
            if shutil.which(tool) is None:
                raise OwnBrokerError(
                    f"{tool} is not on PATH: a test that stops a broker starts a RabbitMQ node "
                    "of its own and never stops the shared one"
                )
        self._prefix = prefix
        self._new_identity()

    def _new_identity(self) -> None:
        """A new name, AMQP and distribution ports and directory (``_prepare`` fills it)."""
        self.name = f"{self._prefix}-{uuid.uuid4().hex[:8]}@localhost"
        self.port = _free_port()
        self.dist_port = _free_port()
        while self.dist_port == self.port:
            self.dist_port = _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix=f"{self._prefix}-mq-", dir="/tmp"))
        self.pid: int | None = None

    @property
    def amqp_url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    @property
    def _mnesia_base(self) -> Path:
        return self.dir / "mnesia"

    @property
    def _log(self) -> Path:
        return self.dir / "log" / f"{self.name}.log"

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self._mnesia_base),
            "RABBITMQ_LOG_BASE": str(self.dir / "log"),
            "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.dir / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(self.dir / "node.pid"),
        }

    def _prepare(self) -> None:
        (self._mnesia_base).mkdir()
        (self.dir / "log").mkdir()
        (self.dir / "enabled_plugins").write_text("[].\n")
        (self.dir / "rabbitmq.conf").write_text(f"listeners.tcp.1 = 127.0.0.1:{self.port}\n")
        if os.geteuid() == 0:  # Debian's wrappers run the node as the rabbitmq user
            with contextlib.suppress(KeyError):
                user = pwd.getpwnam("rabbitmq")
                for path in (self.dir, *self.dir.rglob("*")):
                    os.chown(path, user.pw_uid, user.pw_gid)

    async def _run(self, tool: str, *args: str, timeout: float = 120) -> tuple[int, str]:
        """Run ``tool`` with this node's environment; its exit code and output.

        The output goes to a file, not a pipe: a detached node must not hold our pipe open."""
        output = self.dir / f".{tool}-{uuid.uuid4().hex[:8]}.out"
        with output.open("wb") as sink:
            process = await asyncio.create_subprocess_exec(
                tool,
                *args,
                env=self._env(),
                cwd=self.dir,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=sink,
                stderr=asyncio.subprocess.STDOUT,
            )
        try:
            await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
            return -1, f"{tool} {' '.join(args)}: no answer within {timeout} s"
        finally:
            text = output.read_text(errors="replace")
            output.unlink(missing_ok=True)
        return process.returncode or 0, text

    async def ctl(self, *args: str, timeout: float = 120) -> str:
        """``rabbitmqctl -n <this node> <args>``; raises with its output if it fails."""
        code, out = await self._run("rabbitmqctl", "-n", self.name, *args, timeout=timeout)
        if code != 0:
            raise OwnBrokerError(f"rabbitmqctl -n {self.name} {' '.join(args)}: {out}")
        return out

    def _read_pid(self) -> int | None:
        for path in (self.dir / "node.pid", self._mnesia_base / f"{self.name}.pid"):
            with contextlib.suppress(OSError, ValueError):
                return int(path.read_text().strip())
        return None

    def _alive(self) -> bool:
        self.pid = self.pid or self._read_pid()
        return self.pid is None or _running(self.pid)

    def _log_tail(self) -> str:
        """The log's error lines (the first 20), then its last 30 lines."""
        try:
            lines = self._log.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log written)"
        errors = [line for line in lines[:-30] if "[error]" in line or "BOOT FAILED" in line]
        shown = [*errors[:20], "…", *lines[-30:]] if errors else lines[-30:]
        return "\n".join(shown)

    async def wait_until_accepting(self, timeout: float = 120) -> None:
        """Until the node has booted and its AMQP port accepts connections."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            code, out = await self._run(
                "rabbitmqctl", "-n", self.name, "-q", "await_startup", "--timeout", "15"
            )
            if code == 0 and await _accepts(self.port):
                return
            if not self._alive():
                raise NodeExited(f"node {self.name} exited; its log ends:\n{self._log_tail()}")
            if loop.time() > deadline:
                raise OwnBrokerError(
                    f"node {self.name} not accepting AMQP on {self.port} after {timeout} s: "
                    f"{out}\nits log ends:\n{self._log_tail()}"
                )
            await asyncio.sleep(0.5)

    async def start(self, timeout: float = 120, boots: int = BOOTS) -> None:
        """Boot the node and wait until it accepts AMQP.

        A node that exits while it boots is booted afresh (a new name, new ports, a new
        directory), up to ``boots`` times in all. Once, in a ``make test`` on a busy machine, a
        node with the Prometheus plugin stopped itself during its boot, its log's last lines
        not saying why; alone, the same test booted it every time. (A port found free by
        binding port 0 may be taken by another process before the node binds it.) A node that
        cannot boot at all still fails the test, with its log's errors in the message."""
        for boot in range(1, boots + 1):
            self._prepare()
            code, out = await self._run("rabbitmq-server", "-detached", timeout=60)
            if code != 0:
                raise OwnBrokerError(f"rabbitmq-server -detached ({self.name}): {out}")
            try:
                await self.wait_until_accepting(timeout)
            except NodeExited:
                if boot == boots:
                    raise
                self.remove()
                self._new_identity()
                continue
            self.pid = self._read_pid()
            return

    async def stop_app(self) -> None:
        """The outage: the node keeps running, the broker in it stops (connections close)."""
        await self.ctl("stop_app")
        assert not await _accepts(self.port), f"{self.name} still accepts AMQP after stop_app"

    async def start_app(self, timeout: float = 120) -> None:
        """Back from the outage; retried while the old listener's port is being released."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                await self.ctl("start_app")
                break
            except OwnBrokerError:
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(1)
        await self.wait_until_accepting(max(deadline - loop.time(), 30))

    def kill(self) -> None:
        """The node's Erlang VM dies at once (SIGKILL): no graceful hand-over of anything."""
        pid = self.pid or self._read_pid()
        if pid is None or not _running(pid):
            raise OwnBrokerError(f"{self.name} has no running process to kill")
        os.kill(pid, signal.SIGKILL)

    async def boot_again(self, timeout: float = 120) -> None:
        """Start the node again on its data directory after ``kill`` (its queues recover)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while self.pid is not None and _running(self.pid) and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        (self.dir / "node.pid").unlink(missing_ok=True)
        self.pid = None
        code, out = await self._run("rabbitmq-server", "-detached", timeout=60)
        if code != 0:
            raise OwnBrokerError(f"rabbitmq-server -detached ({self.name}) again: {out}")
        await self.wait_until_accepting(timeout)
        self.pid = self._read_pid()

    async def stop(self) -> None:
        """Stop the node (by its own pid if ``rabbitmqctl stop`` does not do it) and wait."""
        self.pid = self.pid or self._read_pid()
        await self._run("rabbitmqctl", "-n", self.name, "-q", "stop", timeout=60)
        if self.pid is None:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while loop.time() < deadline:
            if not _running(self.pid):
                return
            await asyncio.sleep(0.2)
        if _running(self.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.asynccontextmanager
async def own_rabbitmq(
    prefix: str = "etapa-own", timeout: float = 120
) -> AsyncIterator[OwnRabbitMQ]:
    """A running node of the caller's own; always stopped and removed on the way out."""
    node = OwnRabbitMQ(prefix)
    try:
        await node.start(timeout)
        yield node
    finally:
        try:
            await node.stop()
        finally:
            node.remove()
