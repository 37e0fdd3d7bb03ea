"""Intake's copy of a service type workflow published, newest flow version wins (rules:
``intake.domain.service_types``), inside the consumer's transaction."""

from __future__ import annotations

from etapa_contracts.events import ServiceTypePublished
from intake.usecases.ports import Stores


async def on_service_type_published(stores: Stores, event: ServiceTypePublished) -> None:
    await stores.service_types.keep(
        event.chain_id,
        event.code,
        event.name,
        event.flow_version,
        event.active,
        event.occurred_at,
    )
