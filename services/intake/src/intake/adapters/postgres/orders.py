"""Orders as registered at the counter, and the staff actions recorded on them."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from etapa_contracts.events import OrderAction
from intake.domain.records import Action, Order, StoredAction
from shared import outbox, outbox_direct
from shared.database import Connection

_ORDER_COLUMNS = (
    "order_id, chain_id, branch_id, number, service_type, customer_name, customer_phone, "
    "sms_consent, items, promised_date, lab_code, lab_order_number, notes, external_reference, "
    "opened_at"
)
_ORDER_COLUMNS_OF_O = ", ".join(f"o.{c.strip()}" for c in _ORDER_COLUMNS.split(","))
_ACTION_COLUMNS = (
    "action_id, chain_id, order_id, kind, actor, reason, target_stage, assignee, note, "
    "reopen_kind, requested_at"
)


def _order(row: asyncpg.Record) -> Order:
    return Order(**dict(row))


def _action(row: asyncpg.Record) -> Action:
    return Action(**dict(row))


def _with_order_seq(payload: str) -> str:
    """The event's payload with the order's new event number as ``order_seq``."""
    return f"jsonb_set({payload}::jsonb, '{{order_seq}}', to_jsonb(event_seq))"


class PostgresOrders:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def insert(self, order: Order, seq: int) -> Order:
        row = await self._conn.fetchrow(
            f"""
            INSERT INTO orders (order_id, chain_id, branch_id, seq, number, service_type,
                customer_name, customer_phone, sms_consent, items, promised_date, lab_code,
                notes, external_reference, opened_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
            RETURNING {_ORDER_COLUMNS}
            """,
            order.order_id,
            order.chain_id,
            order.branch_id,
            seq,
            order.number,
            order.service_type,
            order.customer_name,
            order.customer_phone,
            order.sms_consent,
            order.items,
            order.promised_date,
            order.lab_code,
            order.notes,
            order.external_reference,
            order.opened_at,
        )
        assert row is not None  # INSERT … RETURNING always returns the row
        return _order(row)

    async def get(self, chain_id: UUID, order_id: UUID) -> Order | None:
        row = await self._conn.fetchrow(
            f"SELECT {_ORDER_COLUMNS} FROM orders WHERE chain_id = $1 AND order_id = $2",
            chain_id,
            order_id,
        )
        return _order(row) if row else None

    async def get_with_branch_zone(
        self, chain_id: UUID, order_id: UUID
    ) -> tuple[Order, str | None] | None:
        row = await self._conn.fetchrow(
            f"SELECT {_ORDER_COLUMNS_OF_O}, b.timezone AS branch_zone FROM orders o "
            "LEFT JOIN branches b ON b.branch_id = o.branch_id "
            "WHERE o.chain_id = $1 AND o.order_id = $2",
            chain_id,
            order_id,
        )
        if row is None:
            return None
        columns = dict(row)
        zone = columns.pop("branch_zone")
        return Order(**columns), zone

    async def by_number(self, chain_id: UUID, number: str) -> Order | None:
        row = await self._conn.fetchrow(
            f"SELECT {_ORDER_COLUMNS} FROM orders WHERE chain_id = $1 AND number = $2",
            chain_id,
            number,
        )
        return _order(row) if row else None

    async def exists(self, order_id: UUID) -> bool:
        return bool(await self._conn.fetchval("SELECT 1 FROM orders WHERE order_id = $1", order_id))

    async def bind_to_lab(self, order_id: UUID, lab_code: str) -> bool:
        # a second lab racing for an unbound order waits on the row lock, then sees the
        # first lab's code and matches nothing
        bound = await self._conn.fetchval(
            "UPDATE orders SET lab_code = $2 "
            "WHERE order_id = $1 AND (lab_code IS NULL OR lab_code = $2) RETURNING true",
            order_id,
            lab_code,
        )
        return bool(bound)

    async def set_lab_order_number(self, order_id: UUID, lab_order_number: str | None) -> None:
        await self._conn.execute(
            "UPDATE orders SET lab_order_number = coalesce($2, lab_order_number) "
            "WHERE order_id = $1",
            order_id,
            lab_order_number,
        )

    async def branch_has_orders(self, branch_id: UUID) -> bool:
        return bool(
            await self._conn.fetchval(
                "SELECT 1 FROM orders WHERE branch_id = $1 LIMIT 1", branch_id
            )
        )

    async def code_numbered_orders(self, chain_id: UUID, code: str) -> bool:
        return bool(
            await self._conn.fetchval(
                "SELECT 1 FROM orders WHERE chain_id = $1 AND number LIKE $2 LIMIT 1",
                chain_id,
                code.replace("_", r"\_") + "-%",
            )
        )

    async def insert_action(
        self, action: Action, event: OrderAction, *, visible: frozenset[UUID] | None
    ) -> StoredAction | None:
        """One statement: the order found (in the action's chain, in a branch of ``visible``),
        its next event number taken, the action inserted and its event stored in the outbox
        with that number as ``order_seq``; nothing when the order is not found there. The
        order's row stays locked until the transaction ends, so numbers follow commit order;
        outside a transaction the statement commits on its own, all of it or none, and its
        event is published from here at once where a direct publisher runs
        (``shared.outbox_direct``: the row is left to the relay for its grace)."""
        event_row = outbox.row_placeholders(12, payload=_with_order_seq)
        visible_ids = f"${12 + outbox.WIDTH}::uuid[]"
        grace = outbox_direct.grace(self._conn)
        row = await self._conn.fetchrow(
            f"""
            WITH numbered AS (
                UPDATE orders SET event_seq = event_seq + 1
                WHERE order_id = $3 AND chain_id = $2
                    AND ({visible_ids} IS NULL OR branch_id = ANY({visible_ids}))
                RETURNING event_seq, branch_id
            ), event AS (
                INSERT INTO outbox ({outbox_direct.COLUMNS})
                SELECT {event_row}, {outbox_direct.due_in(f"${13 + outbox.WIDTH}")}
                FROM numbered
                RETURNING id, payload
            ), action AS (
                INSERT INTO order_actions (action_id, chain_id, order_id, kind, actor, reason,
                    target_stage, assignee, note, reopen_kind, requested_at)
                SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM numbered
                RETURNING {_ACTION_COLUMNS}
            )
            SELECT action.*, event.id AS outbox_id, event.payload AS event,
                b.timezone AS branch_zone
            FROM action, event, numbered LEFT JOIN branches b ON b.branch_id = numbered.branch_id
            """,
            action.action_id,
            action.chain_id,
            action.order_id,
            action.kind,
            action.actor,
            action.reason,
            action.target_stage,
            action.assignee,
            action.note,
            action.reopen_kind,
            action.requested_at,
            *outbox.row_values(event),
            None if visible is None else list(visible),
            grace,
        )
        if row is None:
            return None
        columns = dict(row)
        outbox_id, payload = columns.pop("outbox_id"), columns.pop("event")
        stored = OrderAction.model_validate(payload)
        zone = columns.pop("branch_zone")
        await outbox_direct.committed(self._conn, grace, outbox_id, stored, payload)
        return StoredAction(Action(**columns), stored, zone)

    async def get_action(self, action_id: UUID) -> Action | None:
        row = await self._conn.fetchrow(
            f"SELECT {_ACTION_COLUMNS} FROM order_actions WHERE action_id = $1", action_id
        )
        return _action(row) if row else None
