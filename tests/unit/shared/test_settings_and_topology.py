"""Settings come from the environment with the documented defaults; queue names are stable."""

from __future__ import annotations

import pytest

from etapa_contracts.topology import Topology
from shared.pagination import page_of
from shared.settings import ServiceSettings, SettingsError


def test_defaults_match_the_public_surface() -> None:
    settings = ServiceSettings.from_env("workflow", 8001, env={})
    assert settings.database_url == "postgresql://postgres@127.0.0.1:5432/etapa_workflow"
    assert settings.amqp_url == "amqp://guest:guest@127.0.0.1:5672/"
    assert settings.http_port == 8001
    assert settings.topology.events_exchange == "etapa.events"
    assert settings.topology.lab_exchange == "etapa.lab"


def test_a_malformed_number_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="WORKFLOW_PORT"):
        ServiceSettings.from_env("workflow", 8001, env={"WORKFLOW_PORT": "eighty"})


def test_consumer_queues_dead_letter_to_their_own_queue() -> None:
    topology = Topology(prefix="t1.", delivery_limit=5)
    queue = topology.queue_name("notifier", "order.stage_changed.v1")
    assert queue == "t1.notifier.order.stage_changed.v1"
    arguments = topology.queue_arguments(queue)
    assert arguments["x-delivery-limit"] == 5
    assert arguments["x-dead-letter-exchange"] == "t1.etapa.dlx"
    assert arguments["x-dead-letter-routing-key"] == queue
    assert topology.dead_letter_queue_name(queue) == f"{queue}.dlq"


@pytest.mark.parametrize(
    ("prefix", "exchange"),
    [
        ("", "etapa.events"),
        ("walk", "walk.etapa.events"),
        ("walk.", "walk.etapa.events"),
        ("t1a2b3c4.outage9f.", "t1a2b3c4.outage9f.etapa.events"),
        ("walk-", "walk-etapa.events"),
        ("walk_", "walk_etapa.events"),
    ],
)
def test_a_prefix_is_separated_from_the_names(prefix: str, exchange: str) -> None:
    topology = Topology(prefix=prefix)
    assert topology.events_exchange == exchange
    assert topology.queue_name("intake", "order.stage_changed.v1").startswith(topology.prefix)
    settings = ServiceSettings.from_env("intake", 8000, env={"ETAPA_TOPOLOGY_PREFIX": prefix})
    assert settings.topology.events_exchange == exchange


def test_a_page_says_whether_there_is_more() -> None:
    assert page_of([1, 2, 3], limit=2, offset=4).next_offset == 6
    assert page_of([1, 2], limit=2, offset=4).next_offset is None
    assert page_of([1, 2, 3], limit=2, offset=0).items == [1, 2]
