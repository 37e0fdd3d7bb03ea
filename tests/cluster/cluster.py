"""Three RabbitMQ nodes of the test's own, joined as one cluster, and a failover TCP front.

Each node is a ``tests.own_broker.OwnRabbitMQ``: its own name (``RABBITMQ_NODENAME``), AMQP and
distribution ports (``RABBITMQ_NODE_PORT``/``RABBITMQ_DIST_PORT``), data and log directories
(``RABBITMQ_MNESIA_BASE``/``RABBITMQ_LOG_BASE``) under /tmp, and the machine's Erlang cookie
(shared by every node of the user that runs them). The second and third nodes
``join_cluster`` the first. The shared RabbitMQ on 5672 is never touched.

The services take one AMQP address, as behind a Kubernetes Service or a load balancer; here
that is ``FailoverFront``: a TCP proxy that sends each new connection to the first node, in its
order, that accepts one. A node that dies drops its connections; the clients reconnect through
the front and land on the next live node.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from tests.integration.harness import free_port
from tests.own_broker import OwnBrokerError, OwnRabbitMQ


@dataclass
class RabbitCluster:
    nodes: list[OwnRabbitMQ]

    @property
    def names(self) -> list[str]:
        return [node.name for node in self.nodes]

    def node_named(self, name: str) -> OwnRabbitMQ:
        return next(node for node in self.nodes if node.name == name)

    async def quorum_queues(self, via: OwnRabbitMQ) -> dict[str, tuple[str, list[str]]]:
        """Quorum queues: name → (leader, members), as ``rabbitmqctl list_queues`` reports."""
        out = await via.ctl(
            "-q", "list_queues", "name", "type", "leader", "members", "--no-table-headers"
        )
        queues = {}
        for line in out.splitlines():
            parts = line.split("\t")
            if len(parts) == 4 and parts[1] == "quorum":
                members = parts[3].strip("[]").replace(" ", "").split(",")
                queues[parts[0]] = (parts[2], sorted(m for m in members if m))
        return queues

    def kill(self, node: OwnRabbitMQ) -> None:
        """The node's Erlang VM dies at once (SIGKILL): no graceful hand-over of anything."""
        node.kill()


@contextlib.asynccontextmanager
async def rabbitmq_cluster(
    size: int = 3, prefix: str = "etapa-cluster"
) -> AsyncIterator[RabbitCluster]:
    nodes = [OwnRabbitMQ(f"{prefix}{index}") for index in range(1, size + 1)]
    try:
        await asyncio.gather(*(node.start() for node in nodes))
        first = nodes[0]
        for node in nodes[1:]:
            await node.ctl("stop_app")
            await node.ctl("join_cluster", first.name)
            await node.ctl("start_app")
            await node.wait_until_accepting()
        running = await first.ctl("-q", "eval", "rabbit_nodes:all_running().")
        missing = [node.name for node in nodes if node.name not in running]
        if missing:
            raise OwnBrokerError(f"nodes {missing} are not running in the cluster: {running}")
        yield RabbitCluster(nodes)
    finally:
        for node in reversed(nodes):
            try:
                await node.stop()
            finally:
                node.remove()


@dataclass
class FailoverFront:
    """A TCP front for ``ports``: each connection goes to the first that accepts one."""

    ports: Sequence[int]
    port: int = field(default_factory=free_port)
    connections: dict[int, int] = field(default_factory=dict)
    """Backend port → connections sent to it."""
    _server: asyncio.Server | None = None
    _pipes: set[asyncio.Task[None]] = field(default_factory=set)

    def url(self, user: str = "guest", password: str = "guest") -> str:
        return f"amqp://{user}:{password}@127.0.0.1:{self.port}/"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in self._pipes:
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for port in self.ports:
            try:
                upstream = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 2)
            except (OSError, TimeoutError):
                continue
            self.connections[port] = self.connections.get(port, 0) + 1
            for source, sink in ((reader, upstream[1]), (upstream[0], writer)):
                task = asyncio.create_task(self._pipe(source, sink, (writer, upstream[1])))
                self._pipes.add(task)
                task.add_done_callback(self._pipes.discard)
            return
        writer.close()

    @staticmethod
    async def _pipe(
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        both: tuple[asyncio.StreamWriter, asyncio.StreamWriter],
    ) -> None:
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            for end in both:  # one side gone: the whole connection is
                end.close()
