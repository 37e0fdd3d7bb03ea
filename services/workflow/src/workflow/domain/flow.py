"""Flows: a service type's ordered stages, frozen into versions.

A flow version never changes once saved: an order keeps the version it started with, and a
changed flow is a new version that only new orders take.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflow.domain.calendar import DayCounting


@dataclass(frozen=True, slots=True)
class Stage:
    key: str
    """Stable identifier within the flow, e.g. ``montagem``."""
    name: str
    """What staff and customers read, e.g. "Montagem"."""
    planned_days: int
    counting: DayCounting
    description: str = ""
    sms_template: str | None = None
    """The customer's message on entering the stage; ``None`` when the stage sends none."""
    responsible_role: str | None = None
    lab_statuses: tuple[str, ...] = ()
    """Lab statuses that move an order into this stage."""
    pauses_clock: bool = False
    """Waiting for the customer or a part: the order's clock stops while it sits here."""
    sms_on_reentry: bool = False
    """Send the stage's message again when the order comes back to the stage; by default a
    customer gets each stage's message once per order (the notifier records the repeat as
    ``suppressed`` with the reason)."""
    visible_to_customer: bool = True
    """Shown on the customer's page; an internal check can be hidden."""
    customer_name: str | None = None
    """What the customer reads for this stage (page and SMS ``{etapa}``); ``None``: ``name``."""

    @property
    def customer_label(self) -> str:
        return self.customer_name or self.name


@dataclass(frozen=True, slots=True)
class FlowVersion:
    service_type: str
    name: str
    version: int
    stages: tuple[Stage, ...]
