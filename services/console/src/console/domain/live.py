"""Live board updates: which order events reach which open board.

Rules: a person receives an update only for their own chain and, unless their role sees the
whole chain, for their own branches. An update without a branch (older producers) reaches only
people who see the whole chain. The update carries no personal data, only which order changed
and how, so the board fetches what it may show with the person's own token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

LIVE_ROUTING_KEYS = (
    "order.stage_changed.v1",
    "order.risk_changed.v1",
    "order.closed.v1",
    "notification.status.v1",
)


@dataclass(frozen=True, slots=True)
class LiveUpdate:
    kind: str
    order_id: UUID
    chain_id: UUID
    branch_id: UUID | None


def update_of(body: dict[str, Any]) -> LiveUpdate | None:
    """The update in an event body, or ``None`` when it is not an order event we show."""
    try:
        raw_branch = body.get("branch_id")
        return LiveUpdate(
            kind=str(body["type"]),
            order_id=UUID(str(body["order_id"])),
            chain_id=UUID(str(body["chain_id"])),
            branch_id=UUID(str(raw_branch)) if raw_branch else None,
        )
    except (KeyError, ValueError, TypeError):
        return None


def may_receive(
    chain_id: UUID, visible_branches: frozenset[UUID] | None, update: LiveUpdate
) -> bool:
    """Whether a person of ``chain_id`` who sees ``visible_branches`` (None: all) gets it."""
    if update.chain_id != chain_id:
        return False
    if visible_branches is None:
        return True
    return update.branch_id is not None and update.branch_id in visible_branches
