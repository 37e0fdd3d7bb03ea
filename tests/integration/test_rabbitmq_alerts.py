"""The dead-letter and consumer alerts read RabbitMQ's own plugin: checked on a real one.

A node of the test's own (never the shared broker) runs with ``rabbitmq_prometheus``; a dead-
letter queue gets a message, one consumer queue has no consumer and another has one. The series
the plugin serves at ``/metrics/per-object`` (names and labels as they really are) are fed to
``promtool test rules`` with the alert rules: the dead-letter queue and the queue nobody
consumes page, nothing else does.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.deploy.monitoring import ALERT_RULES, RABBITMQ_PLUGIN_METRICS, promtool
from tests.integration.harness import eventually, free_port
from tests.own_broker import OwnRabbitMQ

pytestmark = pytest.mark.integration

DEAD_LETTERS = "workflow.order.opened.v1.dlq"
UNCONSUMED = "workflow.order.opened.v1"
CONSUMED = "notifier.order.opened.v1"


class NodeWithPrometheus(OwnRabbitMQ):
    """An own node with RabbitMQ's Prometheus plugin on a free port of 127.0.0.1."""

    def __init__(self) -> None:
        super().__init__("etapa-prom")
        self.prometheus_port = 0

    def _prepare(self) -> None:
        super()._prepare()
        self.prometheus_port = free_port()  # afresh at each boot (``OwnRabbitMQ.start``)
        (self.dir / "enabled_plugins").write_text("[rabbitmq_prometheus].\n")
        with (self.dir / "rabbitmq.conf").open("a") as conf:
            conf.write(f"prometheus.tcp.port = {self.prometheus_port}\n")
            conf.write("prometheus.tcp.ip = 127.0.0.1\n")


async def _ignore(message: aio_pika.abc.AbstractIncomingMessage) -> None:
    return None


def _series(exposition: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name in RABBITMQ_PLUGIN_METRICS:
                found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def _selector(name: str, labels: dict[str, str]) -> str:
    inner = ", ".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    return f"{name}{{{inner}}}"


async def test_the_real_plugins_series_page_for_dead_letters_and_a_queue_nobody_consumes(
    tmp_path: Path,
) -> None:
    node = NodeWithPrometheus()
    try:
        await node.start()
        connection = await aio_pika.connect(node.amqp_url)
        async with connection:
            channel = await connection.channel()
            quorum: dict[str, Any] = {"x-queue-type": "quorum"}
            for name in (DEAD_LETTERS, UNCONSUMED, CONSUMED):
                await channel.declare_queue(name, durable=True, arguments=quorum)
            await channel.default_exchange.publish(aio_pika.Message(b"{}"), DEAD_LETTERS)
            consumed = await channel.get_queue(CONSUMED)
            await consumed.consume(_ignore, no_ack=True)

            url = f"http://127.0.0.1:{node.prometheus_port}/metrics/per-object"

            async def scraped() -> dict[str, list[tuple[dict[str, str], float]]] | None:
                async with httpx.AsyncClient(timeout=10) as http:
                    try:
                        response = await http.get(url)
                    except httpx.TransportError:
                        return None
                series = _series(response.text)
                messages = {
                    labels.get("queue"): value
                    for labels, value in series.get("rabbitmq_queue_messages", [])
                }
                consumers = {
                    labels.get("queue"): value
                    for labels, value in series.get("rabbitmq_queue_consumers", [])
                }
                ready = messages.get(DEAD_LETTERS) == 1 and consumers.get(CONSUMED) == 1
                return series if ready else None

            series = await eventually(scraped, timeout=60, interval=1)
    finally:
        try:
            await node.stop()
        finally:
            node.remove()

    assert set(series) == RABBITMQ_PLUGIN_METRICS
    labels_of = {
        name: {labels["queue"]: labels for labels, _ in samples} for name, samples in series.items()
    }
    input_series = [
        {"series": _selector(name, labels), "values": f"{value:g}+0x10"}
        for name, samples in series.items()
        for labels, value in samples
    ]
    consumer_labels = labels_of["rabbitmq_queue_consumers"][UNCONSUMED]
    case: dict[str, object] = {
        "interval": "1m",
        "input_series": input_series,
        "alert_rule_test": [
            {
                "eval_time": "6m",
                "alertname": "EtapaDeadLetters",
                "exp_alerts": [{"exp_labels": {"severity": "page", "queue": DEAD_LETTERS}}],
            },
            {
                "eval_time": "6m",
                "alertname": "EtapaConsumerMissing",
                "exp_alerts": [{"exp_labels": {"severity": "page", **consumer_labels}}],
            },
        ],
    }
    _promtool_test(tmp_path, case)


def _promtool_test(tmp_path: Path, case: dict[str, object]) -> None:
    """Run ``case`` with the alert rules (their texts left out: etapa-alerts.test.yml has them)."""
    rules = yaml.safe_load(ALERT_RULES.read_text())
    for rule in rules["groups"][0]["rules"]:
        rule["annotations"] = {}
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rules))
    (tmp_path / "test.yml").write_text(
        yaml.safe_dump({"rule_files": ["rules.yml"], "tests": [case]})
    )
    result = subprocess.run(
        [promtool(), "test", "rules", "test.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
