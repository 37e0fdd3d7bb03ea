"""The chain's service types as workflow publishes them (``service_type.published.v1``).

Rules:
- Intake keeps one row per (chain, code); a publication of an older flow version than the one
  kept changes nothing, so redelivered or reordered events never undo a newer one.
- An order's service type is checked only once the chain has at least one known service type:
  a chain whose workflow has not published yet keeps opening orders, and workflow flags an
  unknown type on the order itself.
"""

from __future__ import annotations

from uuid import UUID

from shared.database import Connection
from shared.events import ServiceTypePublished


class UnknownServiceType(ValueError):
    """The chain knows service types, and this is not one of its active ones."""


async def on_service_type_published(conn: Connection, event: ServiceTypePublished) -> None:
    """Keep intake's copy of a service type, newest flow version wins."""
    await conn.execute(
        """
        INSERT INTO service_types (chain_id, code, name, flow_version, active, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (chain_id, code) DO UPDATE SET
            name = EXCLUDED.name, flow_version = EXCLUDED.flow_version,
            active = EXCLUDED.active, updated_at = EXCLUDED.updated_at
        WHERE service_types.flow_version <= EXCLUDED.flow_version
        """,
        event.chain_id,
        event.code,
        event.name,
        event.flow_version,
        event.active,
        event.occurred_at,
    )


async def check_service_type(conn: Connection, chain_id: UUID, code: str) -> None:
    """Raise ``UnknownServiceType`` when the chain knows service types and ``code`` is not one."""
    rows = await conn.fetch(
        "SELECT code, active FROM service_types WHERE chain_id = $1 ORDER BY code", chain_id
    )
    if not rows:
        return
    known = {row["code"]: row["active"] for row in rows}
    if code not in known:
        active = ", ".join(c for c, is_active in known.items() if is_active)
        raise UnknownServiceType(
            f"unknown service type {code!r} in this chain (known: {active or 'none active'})"
        )
    if not known[code]:
        raise UnknownServiceType(f"service type {code!r} is no longer active in this chain")
