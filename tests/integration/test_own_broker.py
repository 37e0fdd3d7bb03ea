"""The tests' own RabbitMQ node (``tests.own_broker``): a node that exits while it boots is booted
afresh, and one that cannot boot fails with its log's errors in the message.

The failure made real: the node's AMQP port is taken by a listening socket of the test before
the node binds it, so the node stops during its boot.
"""

from __future__ import annotations

import socket

import aio_pika
import pytest

from tests.own_broker import NodeExited, OwnRabbitMQ

pytestmark = pytest.mark.integration


class PortTakenAtFirstBoot(OwnRabbitMQ):
    """A node whose first boot finds its AMQP port taken (or every boot, with ``always``)."""

    def __init__(self, *, always: bool = False) -> None:
        super().__init__("etapa-boot")
        self.always = always
        self.ports: list[int] = []
        self.blockers: list[socket.socket] = []

    def _prepare(self) -> None:
        super()._prepare()
        self.ports.append(self.port)
        if self.always or len(self.ports) == 1:
            blocker = socket.socket()
            blocker.bind(("127.0.0.1", self.port))
            blocker.listen()
            self.blockers.append(blocker)

    def release(self) -> None:
        for blocker in self.blockers:
            blocker.close()


async def test_a_node_that_exits_while_booting_is_booted_again_on_new_ports() -> None:
    node = PortTakenAtFirstBoot()
    try:
        await node.start(timeout=60)
        assert len(node.ports) == 2
        assert node.port == node.ports[1] != node.ports[0]
        connection = await aio_pika.connect(node.amqp_url)
        await connection.close()
    finally:
        node.release()
        await node.stop()
        node.remove()


async def test_a_node_that_cannot_boot_fails_with_its_log_s_errors() -> None:
    node = PortTakenAtFirstBoot(always=True)
    try:
        with pytest.raises(NodeExited) as exited:
            await node.start(timeout=60, boots=2)
        assert len(node.ports) == 2
        assert "eaddrinuse" in str(exited.value)  # the cause, from before the last 30 lines
    finally:
        node.release()
        await node.stop()
        node.remove()
