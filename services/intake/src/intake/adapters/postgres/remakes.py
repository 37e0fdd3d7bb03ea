"""Registering a remake or warranty order as a copy of its original (rules in
``intake.domain.remakes``)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from shared.database import Connection


class PostgresRemakes:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def register(
        self,
        *,
        order_id: UUID,
        number: str,
        opened_at: datetime,
        reopened_from: UUID,
        chain_id: UUID,
    ) -> bool:
        registered = await self._conn.fetchval(
            """
            INSERT INTO orders (order_id, chain_id, branch_id, seq, number, service_type,
                customer_name, customer_phone, sms_consent, items, promised_date, lab_code, notes,
                external_reference, opened_at, reopened_from)
            SELECT $1, chain_id, branch_id, seq, $2, service_type, customer_name, customer_phone,
                sms_consent, items, NULL, lab_code, notes, external_reference, $3, order_id
            FROM orders WHERE order_id = $4 AND chain_id = $5
            ON CONFLICT (order_id) DO NOTHING
            RETURNING true
            """,
            order_id,
            number,
            opened_at,
            reopened_from,
            chain_id,
        )
        return bool(registered)
