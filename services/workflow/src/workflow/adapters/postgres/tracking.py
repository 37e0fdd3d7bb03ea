"""The customer's tracking read: one order found by its token, with its branch and flow."""

from __future__ import annotations

from shared.database import Connection
from workflow.adapters.postgres.flows import PostgresFlowStore
from workflow.domain.order_state import State
from workflow.domain.records import TrackingRecord
from workflow.domain.tracking import TrackedOrder


class PostgresTrackingReader:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def find_by_token(self, token: str) -> TrackingRecord | None:
        return await find_by_token(self._conn, token)


async def find_by_token(conn: Connection, token: str) -> TrackingRecord | None:
    """The order whose link token is ``token``; None when unknown or not in a flow."""
    row = await conn.fetchrow(
        """
        SELECT o.chain_id, o.number, o.customer_name, o.service_type, o.flow_version, o.status,
            o.stage_position, o.promised_date, o.projected_completion_at, o.lab_eta, o.closed_at,
            b.name AS branch_name, b.address, b.phone, b.opening_hours, b.chain_name, b.timezone
        FROM orders o JOIN branches b ON b.branch_id = o.branch_id AND b.chain_id = o.chain_id
        WHERE o.tracking_token = $1
        """,
        token,
    )
    if row is None or row["flow_version"] is None or row["stage_position"] is None:
        return None
    if row["status"] not in State.__members__.values():
        return None
    flow = await PostgresFlowStore(conn).version(
        row["chain_id"], row["service_type"], row["flow_version"]
    )
    if flow is None:
        return None
    return TrackingRecord(
        order=TrackedOrder(
            status=State(row["status"]),
            stage_position=row["stage_position"],
            stages=flow.stages,
            timezone=row["timezone"],
            projected_completion_at=row["projected_completion_at"],
            lab_eta=row["lab_eta"],
            closed_at=row["closed_at"],
        ),
        order_number=row["number"],
        customer_name=row["customer_name"],
        promised_date=row["promised_date"],
        chain_name=row["chain_name"],
        branch_name=row["branch_name"],
        branch_address=row["address"],
        branch_phone=row["phone"],
        branch_opening_hours=row["opening_hours"],
    )
