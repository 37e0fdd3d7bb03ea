"""Saving a flow: validate, skip when nothing changed, store a new version, tell intake.

Rules:

- Every flow is checked by ``workflow.usecases.flow_rules`` first (HTTP and the demo seed alike).
- A flow identical to the latest version (same name, same stages in the same order) creates no
  version. Switching a type on or off (``active``) is not a flow change either: it updates the
  type and publishes ``service_type.published.v1`` again with the same version.
- A new version is only taken by new orders; an order keeps the ``flow_version`` it started with.
- The type's row is locked for the transaction, so concurrent saves get consecutive versions and
  "unchanged" is decided against the real latest version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from etapa_contracts.events import ServiceTypePublished
from shared.logging import current_correlation_id
from workflow.domain.flow import FlowVersion, Stage
from workflow.usecases.flow_rules import check_flow
from workflow.usecases.ports import Stores


class ServiceTypeExists(Exception):
    """POST of a code the chain already has."""


class UnknownServiceType(LookupError):
    """PUT of a code the chain does not have."""


@dataclass(frozen=True, slots=True)
class Published:
    flow: FlowVersion
    active: bool
    created_version: bool
    """False when the flow was the same as the latest version (no new version)."""


async def publish_flow(
    stores: Stores,
    chain_id: UUID,
    code: str,
    name: str,
    stages: tuple[Stage, ...],
    *,
    now: datetime,
    active: bool = True,
    create: bool | None = None,
    actor: str | None = None,
) -> Published:
    """Validate and save; run inside the caller's transaction.

    ``create=True`` refuses an existing code (ServiceTypeExists), ``create=False`` an unknown
    one (UnknownServiceType); ``None`` (the demo seed) accepts both.
    """
    check_flow(code, name, stages)
    if create is not False:
        created = await stores.flows.create_service_type(chain_id, code, name, active)
        if create and not created:
            raise ServiceTypeExists(f"service type {code!r} exists; change it with PUT")
    was_active = await stores.flows.lock_service_type(chain_id, code)
    if was_active is None:
        raise UnknownServiceType(f"service type {code!r} not found")
    latest = await stores.flows.latest(chain_id, code)
    if latest is not None and latest.name == name and latest.stages == stages:
        if was_active != active:
            await stores.flows.set_active(chain_id, code, active)
            await stores.outbox.enqueue(published_event(chain_id, latest, active, now))
        return Published(latest, active, created_version=False)
    if was_active != active:
        await stores.flows.set_active(chain_id, code, active)
    flow = await store_version(stores, chain_id, code, name, stages, now=now, created_by=actor)
    return Published(flow, active, created_version=True)


async def store_version(
    stores: Stores,
    chain_id: UUID,
    code: str,
    name: str,
    stages: tuple[Stage, ...],
    *,
    now: datetime,
    created_by: str | None = None,
) -> FlowVersion:
    """Store ``stages`` as the next version (no validation: tests' fixtures and
    ``publish_flow``) and tell intake through the outbox."""
    flow, active = await stores.flows.add_version(
        chain_id, code, name, stages, created_by=created_by
    )
    await stores.outbox.enqueue(published_event(chain_id, flow, active, now))
    return flow


def published_event(
    chain_id: UUID, flow: FlowVersion, active: bool, now: datetime
) -> ServiceTypePublished:
    """Tell the other services (intake) which flow version new orders of the type take."""
    return ServiceTypePublished(
        occurred_at=now,
        correlation_id=current_correlation_id(),
        chain_id=chain_id,
        code=flow.service_type,
        name=flow.name,
        flow_version=flow.version,
        active=active,
    )
