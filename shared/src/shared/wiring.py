"""Who publishes and who consumes each event, in one place.

Rules:
- ``PUBLISHES`` lists the events each service puts in its outbox; ``CONSUMES`` the events each
  service subscribes to (its ``register`` adds exactly these; a unit test holds them equal).
- A producer declares, at broker start and before its outbox relay publishes anything, the
  consumer queues (and their bindings and dead-letter queues) of every event it publishes.
  Declaring is idempotent, so whichever service starts first, no confirmed ``mandatory``
  publish is returned unroutable (``NO_ROUTE``) because its consumer has not started yet.
- The same lists name the publishers in each service's AsyncAPI document (``/asyncapi``).
"""

from __future__ import annotations

from etapa_contracts.events import (
    BranchUpserted,
    Event,
    LabStatus,
    NotificationStatus,
    OrderAction,
    OrderClosed,
    OrderOpened,
    OrderRiskChanged,
    OrderStageChanged,
    RemakeOpened,
    ServiceTypePublished,
    UserChanged,
    UserUpserted,
)

PUBLISHES: dict[str, tuple[type[Event], ...]] = {
    "intake": (BranchUpserted, OrderOpened, OrderAction, LabStatus, UserUpserted, UserChanged),
    "workflow": (
        OrderStageChanged,
        RemakeOpened,
        OrderRiskChanged,
        OrderClosed,
        ServiceTypePublished,
    ),
    "notifier": (NotificationStatus,),
}

CONSUMES: dict[str, tuple[type[Event], ...]] = {
    "intake": (ServiceTypePublished, RemakeOpened),
    "workflow": (
        BranchUpserted,
        OrderOpened,
        OrderAction,
        LabStatus,
        NotificationStatus,
        UserUpserted,
        UserChanged,
    ),
    "notifier": (OrderOpened, OrderStageChanged, BranchUpserted, OrderClosed, UserChanged),
}


RETIRED: dict[str, tuple[str, ...]] = {
    # intake read every stage change to spot remakes; ``order.remake_opened.v1`` replaced it
    "intake": ("order.stage_changed.v1",),
}
"""Routing keys a service consumed in an earlier release and no longer does. At broker start
the service unbinds its old queue for each (so it stops filling) and deletes it once it is
empty (``shared.messaging.retire_queues``)."""


def consumers_of(event_type: type[Event]) -> list[str]:
    """The services with a queue for ``event_type``, in a stable order."""
    return sorted(service for service, events in CONSUMES.items() if event_type in events)
