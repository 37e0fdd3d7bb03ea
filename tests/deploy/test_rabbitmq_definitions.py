"""deploy/rabbitmq/definitions.json preloads every queue, binding and exchange Etapa declares.

Compared with the topology computed from ``etapa_contracts.topology`` and ``shared.wiring``, so
adding a consumer without its queue in the file fails here; the compose test then boots a node
with the file and checks that the services, once running, declared nothing else (and nothing
different: a queue's arguments that differ would stop them with PRECONDITION_FAILED)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from etapa_contracts.events import OrderStageChanged
from tests.deploy.rabbitmq_topology import expected_topology

DEFINITIONS = Path(__file__).parents[2] / "deploy" / "rabbitmq" / "definitions.json"


def _definitions() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DEFINITIONS.read_text())
    return loaded


def _key(item: dict[str, Any]) -> str:
    return json.dumps(item, sort_keys=True)


def test_the_file_preloads_exactly_the_topology() -> None:
    expected, actual = expected_topology(), _definitions()
    for kind in ("queues", "exchanges", "bindings"):
        assert sorted(map(_key, actual[kind])) == sorted(map(_key, expected[kind])), kind


def test_every_consumer_queue_has_its_dead_letter_queue_and_both_bindings() -> None:
    definitions = _definitions()
    names = {queue["name"] for queue in definitions["queues"]}
    assert "notifier.order.stage_changed.v1.dlq" in names
    routes = {(b["source"], b["destination"], b["routing_key"]) for b in definitions["bindings"]}
    assert ("etapa.events", "notifier.order.stage_changed.v1",
            OrderStageChanged.routing_key()) in routes  # fmt: skip
    assert ("etapa.lab", "intake.lab.status", "lab.*.status") in routes
    assert len(names) == 32


def test_no_demo_user_or_password_is_preloaded() -> None:
    users = [user["name"] for user in _definitions()["users"]]
    assert users == ["guest"], "lab users are made per install with scripts/rabbitmq-lab-user.sh"
