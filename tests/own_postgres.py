"""A throwaway PostgreSQL cluster of a test's own, that the test may stop, start and kill.

``initdb`` (from /usr/lib/postgresql/*/bin) into a directory under /tmp, trust auth, on a free
port; the shared server on 5432 is never touched. Under root the server runs as ``postgres``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from tests.integration.harness import free_port

_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))


class OwnPostgres:
    """A PostgreSQL cluster in a temporary directory, on a free port, that a test may stop."""

    def __init__(self, prefix: str = "etapa-outage-pg", max_connections: int = 100) -> None:
        assert _BIN, "PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are needed"
        self.bin = _BIN[-1]
        self.dir = Path(tempfile.mkdtemp(prefix=f"{prefix}-", dir="/tmp"))
        self.port = free_port()
        self.max_connections = max_connections

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    async def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await asyncio.wait_for(process.communicate(), 120)
        assert process.returncode == 0, f"{args}: {out!r} {err!r}"

    async def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        await self._run("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres")

    async def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            f"-c max_connections={self.max_connections}"
        )
        data, log = str(self.dir / "data"), str(self.dir / "log")
        await self._run("pg_ctl", "-D", data, "-o", options, "-l", log, "-w", "start")

    async def stop(self) -> None:
        await self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    async def remove(self) -> None:
        await self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "stop")


@contextlib.asynccontextmanager
async def own_postgres(
    prefix: str = "etapa-outage-pg", max_connections: int = 100
) -> AsyncIterator[OwnPostgres]:
    """A running cluster of the caller's own; stopped and removed on the way out."""
    cluster = OwnPostgres(prefix, max_connections)
    try:
        await cluster.init()
        await cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(AssertionError):  # already stopped
            await cluster.remove()
        shutil.rmtree(cluster.dir, ignore_errors=True)
