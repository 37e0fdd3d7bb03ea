"""Numbers that receive no SMS, as staff see and set them.

Tenancy: an opt-out is the phone's, everywhere (a reply reaches the shared sender, and a
customer who said PARE wants no SMS from any chain). A chain sees the opt-outs of phones among
its own customers (those of its visible branches, for branch staff) and the ones its staff set.
Staff roles (not viewers) opt out only numbers of their own customers (404 otherwise: one chain
must not silence another's customers by typing numbers), and opt back in only numbers they can
see (404 otherwise), at the customer's own request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import asyncpg
from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody
from pydantic import BaseModel

from notifier.api.providers import CallbackSettings
from notifier.consent import opt_in, opt_out
from notifier.replies import InvalidPhone, normalize_phone
from shared.auth import STAFF_ROLES, Principal
from shared.logging import mask_phone_numbers
from shared.pagination import DEFAULT_PAGE_SIZE, Limit, Offset, Page, page_of


class OptOutIn(BaseModel):
    phone: str


class OptOutOut(BaseModel):
    phone_masked: str
    opted_out_at: datetime
    source: Literal["reply", "staff"]
    keyword: str | None
    set_by_this_chain: bool


_VISIBLE = """
    (o.set_by_chain = $1 OR EXISTS (
        SELECT 1 FROM contacts c WHERE c.phone = o.phone AND c.chain_id = $1
          AND ($2::uuid[] IS NULL OR c.branch_id = ANY($2::uuid[]))))
"""


class OptOutController(Controller):
    path = "/api/v1/opt-outs"
    tags = ["opt-outs"]

    @get("/")
    async def list_opt_outs(
        self,
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        phone: FromQuery[str | None] = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> Page:
        """Opted-out numbers this chain may see, newest first (``phone`` finds one number)."""
        wanted = _phone(phone) if phone is not None else None
        rows = await pool.fetch(
            f"""
            SELECT o.* FROM opt_outs o WHERE {_VISIBLE} AND ($3::text IS NULL OR o.phone = $3)
            ORDER BY o.opted_out_at DESC, o.phone LIMIT $4 OFFSET $5
            """,
            principal.chain_id,
            _branches(principal),
            wanted,
            limit + 1,
            offset,
        )
        return page_of([_out(dict(r), principal) for r in rows], limit, offset)

    @post("/")
    async def add_opt_out(
        self,
        data: JSONBody[OptOutIn],
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        callbacks: NamedDependency[CallbackSettings],
    ) -> Response[OptOutOut]:
        """Stop every SMS to a number at once (pending and held ones become suppressed)."""
        principal.require_role(*STAFF_ROLES, action="descadastrar um número de SMS")
        phone = _phone(data.phone)
        async with pool.acquire() as conn, conn.transaction():
            customer = await conn.fetchval(
                """
                SELECT true FROM contacts c WHERE c.phone = $1 AND c.chain_id = $2
                  AND ($3::uuid[] IS NULL OR c.branch_id = ANY($3::uuid[])) LIMIT 1
                """,
                phone,
                principal.chain_id,
                _branches(principal),
            )
            if not customer:
                raise NotFoundException(
                    f"phone: {mask_phone_numbers(phone)} is not a customer of your branches"
                )
            created = await opt_out(
                conn, phone, source="staff", now=callbacks.clock(), chain_id=principal.chain_id
            )
            row = await conn.fetchrow("SELECT * FROM opt_outs WHERE phone = $1", phone)
        assert row is not None
        return Response(_out(dict(row), principal), status_code=201 if created else 200)

    @delete("/{phone:str}", status_code=204)
    async def remove_opt_out(
        self,
        phone: FromPath[str],
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
    ) -> None:
        """Let a number receive SMS again (at the customer's request)."""
        principal.require_role(*STAFF_ROLES, action="recadastrar um número para SMS")
        number = _phone(phone)
        async with pool.acquire() as conn, conn.transaction():
            visible = await conn.fetchval(
                f"SELECT true FROM opt_outs o WHERE o.phone = $3 AND {_VISIBLE}",
                principal.chain_id,
                _branches(principal),
                number,
            )
            if not visible:
                raise NotFoundException(f"phone: {mask_phone_numbers(number)} is not opted out")
            await opt_in(conn, number)


def _phone(raw: str) -> str:
    try:
        return normalize_phone(raw)
    except InvalidPhone as exc:
        raise ClientException(f"phone: {exc}") from None


def _branches(principal: Principal) -> list[Any] | None:
    visible = principal.visible_branches()
    return None if visible is None else list(visible)


def _out(row: dict[str, Any], principal: Principal) -> OptOutOut:
    return OptOutOut(
        phone_masked=mask_phone_numbers(row["phone"]),
        opted_out_at=row["opted_out_at"],
        source=row["source"],
        keyword=row["keyword"],
        set_by_this_chain=row["set_by_chain"] == principal.chain_id,
    )
