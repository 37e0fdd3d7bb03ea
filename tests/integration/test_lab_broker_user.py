"""A lab's RabbitMQ user publishes to the lab exchange with its own routing key, and nothing else.

Creates the user with ``scripts/rabbitmq-lab-user.sh`` (the script ``make run`` and the README
use) on the real broker, then tries what a lab could try.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aio_pika
import pytest
from aiormq.exceptions import ChannelAccessRefused

from etapa_contracts.topology import Topology
from tests.infra import Infra

pytestmark = pytest.mark.integration
SCRIPT = Path(__file__).parents[2] / "scripts" / "rabbitmq-lab-user.sh"


@pytest.fixture
def lab_user(infra: Infra) -> Iterator[tuple[str, str, str]]:
    code = "T" + uuid.uuid4().hex[:6].upper()
    password = uuid.uuid4().hex
    exchange = Topology(prefix=infra.prefix).lab_exchange
    # The run's prefix names this installation's user and exchange (one user per lab per install).
    env = {**os.environ, "ETAPA_TOPOLOGY_PREFIX": infra.prefix}
    done = subprocess.run([str(SCRIPT), code, password], env=env, check=True, capture_output=True)
    user = f"{infra.prefix}lab_{code}"
    assert f"user {user} may publish to {exchange} " in done.stdout.decode()
    parts = urlsplit(infra.amqp_url)
    url = urlunsplit(parts._replace(netloc=f"{user}:{password}@{parts.hostname}:{parts.port}"))
    try:
        yield code, url, exchange
    finally:
        subprocess.run(["rabbitmqctl", "-q", "delete_user", user], check=True)


async def test_a_lab_user_may_publish_only_its_own_status(
    infra: Infra, lab_user: tuple[str, str, str]
) -> None:
    code, url, exchange_name = lab_user
    admin = await aio_pika.connect(infra.amqp_url)
    async with admin:
        channel = await admin.channel()
        exchange = await channel.declare_exchange(
            exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(exchange, routing_key="lab.*.status")

        lab = await aio_pika.connect(url)
        async with lab:
            own = await (await lab.channel(publisher_confirms=True)).get_exchange(exchange_name)
            await own.publish(aio_pika.Message(b'{"ok": 1}'), routing_key=f"lab.{code}.status")

            other = await (await lab.channel(publisher_confirms=True)).get_exchange(exchange_name)
            with pytest.raises(ChannelAccessRefused, match="topic"):
                await other.publish(aio_pika.Message(b"{}"), routing_key="lab.OTHERLAB.status")

            events = await (await lab.channel()).get_exchange(
                Topology(prefix=infra.prefix).events_exchange, ensure=False
            )
            with pytest.raises(ChannelAccessRefused, match=r"etapa\.events"):
                await events.publish(aio_pika.Message(b"{}"), routing_key="order.opened.v1")

            with pytest.raises(ChannelAccessRefused):
                await (await lab.channel()).declare_queue(f"{infra.prefix}lab-snoop")

        delivered = await queue.get(timeout=5)
        assert delivered.routing_key == f"lab.{code}.status"
        await delivered.ack()
        assert await queue.get(fail=False, timeout=1) is None
