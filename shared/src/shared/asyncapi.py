"""Each service's AsyncAPI document, served at ``/asyncapi`` (JSON, no token, no internet).

FastStream generates it (AsyncAPI 3.0) from the broker's subscribers (what the service consumes,
with each event's JSON schema) and publishers (what it publishes: ``shared.wiring.PUBLISHES``,
named by ``shared.messaging.document_publishers``). The document is built on the first request,
once the service's consumers are registered, and kept. It names exchanges, queues, routing keys
and the broker's host, never its credentials.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from faststream.rabbit import RabbitBroker, RabbitQueue
from faststream.specification import AsyncAPI
from litestar import get
from pydantic import BaseModel

from etapa_contracts.events import Event
from etapa_contracts.topology import Topology
from shared.auth import PUBLIC
from shared.messaging import topic_exchange

Document = dict[str, Any]
Amend = Callable[[Document], None]


def asyncapi_document(
    broker: RabbitBroker, *, service: str, description: str, amend: Amend | None = None
) -> Document:
    document: Document = (
        AsyncAPI(broker, title=f"Etapa {service}", version="1", description=description)
        .to_specification()
        .to_jsonable()
    )
    if amend is not None:
        amend(document)
    return document


def cached(build: Callable[[], Document]) -> Callable[[], Document]:
    kept: list[Document] = []

    def document() -> Document:
        if not kept:
            kept.append(build())
        return kept[0]

    return document


def set_message_payload(document: Document, channel: str, model: type[BaseModel]) -> None:
    """Give ``channel``'s messages ``model``'s schema (a consumer that reads its body itself,
    such as intake's lab queue, has no typed parameter for FastStream to read it from)."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    components = document.setdefault("components", {})
    components.setdefault("schemas", {}).update(schema.pop("$defs", {}))
    components["schemas"][model.__name__] = schema
    for ref in document["channels"][channel].get("messages", {}).values():
        name = ref["$ref"].rsplit("/", 1)[-1]
        components["messages"][name]["payload"] = {"$ref": f"#/components/schemas/{model.__name__}"}


def document_consumer(
    broker: RabbitBroker,
    topology: Topology,
    queue: RabbitQueue,
    event_types: tuple[type[Event], ...],
    description: str,
) -> None:
    """Describe a consumer that is not a FastStream subscriber (the console's live feed, read
    with aio-pika) on a broker that is never started: one channel per event it receives."""
    for event_type in event_types:
        routing_key = event_type.routing_key()

        async def never_called(event: Any) -> None:  # pragma: no cover - documentation only
            raise NotImplementedError

        never_called.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [
                inspect.Parameter(
                    "event", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=event_type
                )
            ]
        )
        broker.subscriber(
            RabbitQueue(
                queue.name,
                exclusive=queue.exclusive,
                auto_delete=queue.auto_delete,
                routing_key=routing_key,
            ),
            topic_exchange(topology.events_exchange),
            title=f"{queue.name}:{routing_key}",
            description=description,
        )(never_called)


def asyncapi_handler(document: Callable[[], Document]) -> Any:
    @get("/asyncapi", tags=["operations"], opt=PUBLIC, sync_to_thread=False, include_in_schema=True)
    def asyncapi() -> Document:
        """The AsyncAPI 3.0 document of the events this service consumes and publishes."""
        return document()

    return asyncapi
