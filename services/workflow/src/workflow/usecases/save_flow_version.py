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
from uuid import UUID

from shared.database import Connection
from workflow.adapters.postgres import flows
from workflow.domain.flow import FlowVersion, Stage
from workflow.usecases.flow_rules import check_flow


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
    conn: Connection,
    chain_id: UUID,
    code: str,
    name: str,
    stages: tuple[Stage, ...],
    *,
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
        created = await flows.create_service_type(conn, chain_id, code, name, active)
        if create and not created:
            raise ServiceTypeExists(f"service type {code!r} exists; change it with PUT")
    row = await flows.lock_service_type(conn, chain_id, code)
    if row is None:
        raise UnknownServiceType(f"service type {code!r} not found")
    latest = await flows.latest_flow(conn, chain_id, code)
    if latest is not None and latest.name == name and latest.stages == stages:
        if row["active"] != active:
            await flows.set_active(conn, chain_id, code, active)
            await flows.enqueue_published(conn, chain_id, latest, active=active)
        return Published(latest, active, created_version=False)
    if row["active"] != active:
        await flows.set_active(conn, chain_id, code, active)
    flow = await flows.save_flow(conn, chain_id, code, name, stages, created_by=actor)
    return Published(flow, active, created_version=True)
