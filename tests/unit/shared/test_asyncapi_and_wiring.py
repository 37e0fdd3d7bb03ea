"""Each service's consumers are the ones ``shared.wiring`` names, and its AsyncAPI document
names what it consumes and publishes (issue 17), the lab queue's message included."""

from __future__ import annotations

import json
from typing import Any, cast

import asyncpg
import pytest

from console.bootstrap import asyncapi_of
from console.config import ConsoleSettings
from console.domain.live import LIVE_ROUTING_KEYS
from intake.bootstrap import create_runtime as intake_runtime
from intake.config import IntakeSettings
from notifier.bootstrap import create_runtime as notifier_runtime
from notifier.config import NotifierSettings
from shared.auth import generate_key_pair
from shared.messaging import CONSUMER_PRIORITIES
from shared.runtime import ServiceRuntime
from shared.wiring import CONSUMES, PUBLISHES, consumers_of
from workflow.bootstrap import create_runtime as workflow_runtime
from workflow.config import WorkflowSettings

PRIVATE, PUBLIC = generate_key_pair()
ENV = {
    "ETAPA_JWT_PUBLIC_KEY": PUBLIC,
    "INTAKE_JWT_PRIVATE_KEY": PRIVATE,
    "ETAPA_AMQP_URL": "amqp://etapa:very-secret-pw@rabbit.internal:5672/",
    "ETAPA_TOPOLOGY_PREFIX": "walk",
}


def runtime_of(service: str) -> ServiceRuntime:
    if service == "intake":
        return intake_runtime(IntakeSettings.from_env(ENV))
    if service == "workflow":
        return workflow_runtime(WorkflowSettings.from_env(ENV))
    return notifier_runtime(NotifierSettings.from_env(ENV))


def document_of(service: str) -> tuple[ServiceRuntime, list[str], dict[str, Any]]:
    runtime = runtime_of(service)
    subscriptions = runtime.subscribe(cast(asyncpg.Pool, None))  # no handler runs here
    return runtime, [q.name for q in subscriptions.queues], runtime.asyncapi()


@pytest.mark.parametrize("service", ["intake", "workflow", "notifier"])
def test_a_service_consumes_and_documents_what_the_wiring_says(service: str) -> None:
    runtime, queues, document = document_of(service)
    topology = runtime.settings.topology
    expected = {topology.queue_name(service, e.routing_key()) for e in CONSUMES[service]}
    assert expected <= set(queues)
    assert set(queues) - expected <= {"walk.intake.lab.status"}

    text = json.dumps(document)
    assert document["asyncapi"].startswith("3.")
    channels = {
        action: {
            o["channel"]["$ref"].rsplit("/", 1)[-1]
            for o in document["operations"].values()
            if o["action"] == action
        }
        for action in ("receive", "send")
    }
    received, sent = channels["receive"], channels["send"]
    assert expected <= received
    assert sent == {e.routing_key() for e in PUBLISHES[service]}
    for event_type in (*CONSUMES[service], *PUBLISHES[service]):
        assert event_type.__name__ in document["components"]["schemas"]
    assert "walk.etapa.events" in text
    assert "very-secret-pw" not in text


def test_intakes_document_has_the_lab_queue_and_its_message() -> None:
    _runtime, _queues, document = document_of("intake")
    text = json.dumps(document)
    assert "order.opened" in text
    lab = document["channels"]["walk.intake.lab.status"]
    assert "lab.<lab_code>.status" in lab["description"]
    assert "walk.etapa.lab" in lab["description"]
    assert lab["address"] == "lab.*.status"
    message = next(iter(lab["messages"].values()))["$ref"].rsplit("/", 1)[-1]
    payload = document["components"]["messages"][message]["payload"]
    assert payload == {"$ref": "#/components/schemas/LabMessage"}
    lab_message = document["components"]["schemas"]["LabMessage"]
    assert {"lab_code", "order_number", "status", "occurred_at"} <= set(lab_message["properties"])
    assert "#/$defs/" not in text


def test_every_published_event_but_the_tapped_ones_has_a_consumer() -> None:
    published = {e for events in PUBLISHES.values() for e in events}
    consumed = {e for events in CONSUMES.values() for e in events}
    assert consumed <= published
    orphans = {e.routing_key() for e in published if not consumers_of(e)}
    assert orphans == {"order.risk_changed.v1"}  # workflow's dashboard tap receives it


def test_the_consoles_document_names_the_events_its_boards_read() -> None:
    settings = ConsoleSettings.from_env(ENV)
    document = asyncapi_of(settings)
    assert {c.split(":")[1] for c in document["channels"]} == set(LIVE_ROUTING_KEYS)
    assert {o["action"] for o in document["operations"].values()} == {"receive"}
    assert "very-secret-pw" not in json.dumps(document)


def test_a_services_consumer_linger_reaches_its_subscriptions() -> None:
    """``<SERVICE>_CONSUMER_LINGER_MS`` (ms) is the seconds each of its batches waits."""
    settings = WorkflowSettings.from_env(ENV | {"WORKFLOW_CONSUMER_LINGER_MS": "25"})
    subscriptions = workflow_runtime(settings).subscribe(cast(asyncpg.Pool, None))
    assert subscriptions.linger == 0.025
    assert runtime_of("workflow").subscribe(cast(asyncpg.Pool, None)).linger == 0.02


def test_a_services_consumer_priority_reaches_every_consumer() -> None:
    """``<SERVICE>_CONSUMER_PRIORITY`` is each consumer's ``x-priority``; unset, each process
    draws its own."""
    settings = WorkflowSettings.from_env(ENV | {"WORKFLOW_CONSUMER_PRIORITY": "-3"})
    subscriptions = workflow_runtime(settings).subscribe(cast(asyncpg.Pool, None))
    assert subscriptions.consume_arguments == {"x-priority": -3}
    drawn = {
        runtime_of("workflow").subscribe(cast(asyncpg.Pool, None)).consume_arguments["x-priority"]
        for _ in range(10)
    }
    assert drawn <= set(CONSUMER_PRIORITIES)
    assert len(drawn) > 1  # each process draws its own
