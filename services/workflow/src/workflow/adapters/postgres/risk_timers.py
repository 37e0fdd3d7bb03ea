"""Risk on the order row: the stored level, its reason, and the sweeper's timer."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from shared.database import Connection
from workflow.domain.risk import RiskAssessment


async def set_risk(
    conn: Connection, order_id: UUID, assessment: RiskAssessment, now: datetime
) -> str:
    """Store the assessment and its timer; returns the level the order had before."""
    previous: str = await conn.fetchval(
        "SELECT risk_level FROM orders WHERE order_id = $1 FOR UPDATE", order_id
    )
    await conn.execute(
        """
        UPDATE orders SET risk_level = $2, risk_reason = $3, risk_check_at = $4,
            risk_changed_at = CASE WHEN risk_level = $2 THEN risk_changed_at ELSE $5 END
        WHERE order_id = $1
        """,
        order_id,
        assessment.level.value,
        assessment.reason,
        assessment.next_check_at,
        now,
    )
    return previous


async def due_for_risk_check(conn: Connection, now: datetime, limit: int) -> list[UUID]:
    """Claim open orders whose risk timer is due; other sweepers skip the claimed rows."""
    rows = await conn.fetch(
        """
        SELECT order_id FROM orders
        WHERE risk_check_at <= $1 AND status IN ('in_progress', 'paused')
        ORDER BY risk_check_at FOR UPDATE SKIP LOCKED LIMIT $2
        """,
        now,
        limit,
    )
    return [r["order_id"] for r in rows]


async def postpone(conn: Connection, order_id: UUID, by: timedelta) -> None:
    await conn.execute(
        "UPDATE orders SET risk_check_at = now() + $2 WHERE order_id = $1", order_id, by
    )
