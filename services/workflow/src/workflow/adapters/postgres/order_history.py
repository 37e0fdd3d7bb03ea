"""An order's history in PostgreSQL: stage entries, lab reports, customer messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from shared.database import Connection
from workflow.domain.order_actions import StageEntered


async def enter_stage(
    conn: Connection, chain_id: UUID, order_id: UUID, entered: StageEntered
) -> None:
    """Close the open stage entry (if any) and open the new one."""
    await close_stage(conn, order_id, entered.entered_at)
    await conn.execute(
        """
        INSERT INTO stage_entries (order_id, entry_sequence, chain_id, stage_position, stage_key,
            stage_name, entered_at, planned_due_at, due_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT DO NOTHING
        """,
        order_id,
        entered.entry_sequence,
        chain_id,
        entered.to_position,
        entered.to_stage.key,
        entered.to_stage.name,
        entered.entered_at,
        entered.deadline.due_at,
    )


async def close_stage(conn: Connection, order_id: UUID, at: datetime) -> None:
    await conn.execute(
        "UPDATE stage_entries SET exited_at = $2 WHERE order_id = $1 AND exited_at IS NULL",
        order_id,
        at,
    )


async def move_stage_due(conn: Connection, order_id: UUID, due_at: datetime) -> None:
    """The open stage entry's due time, moved by a pause."""
    await conn.execute(
        "UPDATE stage_entries SET due_at = $2 WHERE order_id = $1 AND exited_at IS NULL",
        order_id,
        due_at,
    )


async def add_lab_update(
    conn: Connection,
    *,
    chain_id: UUID,
    order_id: UUID,
    lab_code: str,
    status: str,
    eta: Any,
    reported_at: datetime,
    received_at: datetime,
    applied: bool,
    note: str | None = None,
) -> None:
    await conn.execute(
        """
        INSERT INTO lab_updates (chain_id, order_id, lab_code, status, eta, reported_at,
            received_at, applied, note)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        """,
        chain_id,
        order_id,
        lab_code,
        status,
        eta,
        reported_at,
        received_at,
        applied,
        note,
    )


async def upsert_message(
    conn: Connection,
    *,
    chain_id: UUID,
    order_id: UUID,
    notification_id: UUID,
    entry_sequence: int,
    status: str,
    reason: str | None,
    at: datetime,
) -> None:
    """Keep a message's newest status: an older report never overwrites a newer one."""
    await conn.execute(
        """
        INSERT INTO order_messages (notification_id, chain_id, order_id, entry_sequence, status,
            reason, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (notification_id) DO UPDATE SET status = EXCLUDED.status,
            reason = EXCLUDED.reason, updated_at = EXCLUDED.updated_at
        WHERE order_messages.updated_at <= EXCLUDED.updated_at
        """,
        notification_id,
        chain_id,
        order_id,
        entry_sequence,
        status,
        reason,
        at,
    )
