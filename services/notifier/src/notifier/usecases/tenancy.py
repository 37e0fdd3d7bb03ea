"""A copy kept from events is never changed by an event of another chain: the stores' writes are
guarded by ``chain_id``; this logs the mismatch so that a person sees it."""

from __future__ import annotations

from uuid import UUID

from shared.logging import get_logger

log = get_logger(__name__)


def log_if_other_chain(table: str, key: UUID, owner: UUID | None, event_chain: UUID) -> None:
    if owner is not None and owner != event_chain:
        log.error("event_for_another_chains_data_ignored", table=table, id=str(key))
