"""Tables ``contacts`` (the notifier's copy of each order's customer) and ``opt_outs``.

Tenancy: a contact once written for one chain is never changed by an event of another chain
(the update is guarded by ``chain_id``). Opt-outs: one customer's own per number (``set_by_chain``
NULL, everywhere) and one per chain whose staff set it.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from notifier.usecases.records import Contact, OptOut
from shared.database import Connection

# $1 the caller's chain, $2 their branches (NULL: the whole chain)
_CUSTOMER = """
    EXISTS (SELECT 1 FROM contacts c WHERE c.phone = o.phone AND c.chain_id = $1
        AND ($2::uuid[] IS NULL OR c.branch_id = ANY($2::uuid[])))
"""
_OWN_STAFF = f"(o.set_by_chain = $1 AND ($2::uuid[] IS NULL OR {_CUSTOMER}))"
_VISIBLE = f"({_OWN_STAFF} OR (o.set_by_chain IS NULL AND {_CUSTOMER}))"


def _branches(branches: frozenset[UUID] | None) -> list[UUID] | None:
    return None if branches is None else list(branches)


class PostgresConsent:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def keep_contact(self, contact: Contact) -> None:
        await self._conn.execute(
            """
            INSERT INTO contacts (order_id, chain_id, branch_id, order_number, customer_name,
                phone, sms_consent, branch_name, branch_phone, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (order_id) DO UPDATE SET
                customer_name = EXCLUDED.customer_name, phone = EXCLUDED.phone,
                sms_consent = EXCLUDED.sms_consent, updated_at = EXCLUDED.updated_at
            WHERE contacts.updated_at < EXCLUDED.updated_at
              AND contacts.chain_id = EXCLUDED.chain_id
            """,
            contact.order_id,
            contact.chain_id,
            contact.branch_id,
            contact.order_number,
            contact.customer_name,
            contact.phone,
            contact.sms_consent,
            contact.branch_name,
            contact.branch_phone,
            contact.updated_at,
        )

    async def copy_contact(
        self, from_order: UUID, chain_id: UUID, order_id: UUID, order_number: str, at: datetime
    ) -> None:
        await self._conn.execute(
            """
            INSERT INTO contacts (order_id, chain_id, branch_id, order_number, customer_name,
                phone, sms_consent, branch_name, branch_phone, updated_at)
            SELECT $1, chain_id, branch_id, $2, customer_name, phone, sms_consent, branch_name,
                branch_phone, $3
            FROM contacts WHERE order_id = $4 AND chain_id = $5
            ON CONFLICT (order_id) DO NOTHING
            """,
            order_id,
            order_number,
            at,
            from_order,
            chain_id,
        )

    async def contact_chain(self, order_id: UUID) -> UUID | None:
        owner: UUID | None = await self._conn.fetchval(
            "SELECT chain_id FROM contacts WHERE order_id = $1", order_id
        )
        return owner

    async def is_customer(
        self, phone: str, chain_id: UUID, branches: frozenset[UUID] | None
    ) -> bool:
        found = await self._conn.fetchval(
            """
            SELECT true FROM contacts c WHERE c.phone = $1 AND c.chain_id = $2
              AND ($3::uuid[] IS NULL OR c.branch_id = ANY($3::uuid[])) LIMIT 1
            """,
            phone,
            chain_id,
            _branches(branches),
        )
        return bool(found)

    async def add_opt_out(self, opt_out: OptOut) -> bool:
        conflict = (
            "(phone) WHERE set_by_chain IS NULL"
            if opt_out.set_by_chain is None
            else "(set_by_chain, phone) WHERE set_by_chain IS NOT NULL"
        )
        created = await self._conn.fetchval(
            f"""
            INSERT INTO opt_outs (phone, opted_out_at, source, provider, keyword, set_by_chain)
            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT {conflict} DO NOTHING RETURNING true
            """,
            opt_out.phone,
            opt_out.opted_out_at,
            opt_out.source,
            opt_out.provider,
            opt_out.keyword,
            opt_out.set_by_chain,
        )
        return bool(created)

    async def remove_opt_out(self, phone: str, chain_id: UUID | None) -> bool:
        removed = await self._conn.fetchval(
            """
            DELETE FROM opt_outs WHERE phone = $1
              AND (CASE WHEN $2::uuid IS NULL THEN set_by_chain IS NULL ELSE set_by_chain = $2 END)
            RETURNING true
            """,
            phone,
            chain_id,
        )
        return bool(removed)

    async def staff_opt_out(self, phone: str, chain_id: UUID) -> OptOut | None:
        row = await self._conn.fetchrow(
            "SELECT * FROM opt_outs WHERE phone = $1 AND set_by_chain = $2", phone, chain_id
        )
        return None if row is None else _opt_out(row)

    async def visible_opt_outs(
        self,
        chain_id: UUID,
        branches: frozenset[UUID] | None,
        phone: str | None,
        limit: int,
        offset: int,
    ) -> list[OptOut]:
        rows = await self._conn.fetch(
            f"""
            SELECT o.* FROM opt_outs o WHERE {_VISIBLE} AND ($3::text IS NULL OR o.phone = $3)
            ORDER BY o.set_by_chain IS NULL, o.opted_out_at DESC, o.phone LIMIT $4 OFFSET $5
            """,
            chain_id,
            _branches(branches),
            phone,
            limit,
            offset,
        )
        return [_opt_out(row) for row in rows]


def _opt_out(row: asyncpg.Record) -> OptOut:
    return OptOut(
        phone=row["phone"],
        opted_out_at=row["opted_out_at"],
        source=row["source"],
        provider=row["provider"],
        keyword=row["keyword"],
        set_by_chain=row["set_by_chain"],
    )
