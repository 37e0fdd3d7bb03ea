"""Numbers that receive no SMS, as staff see and set them.

The model (issue 15; see ``notifier.consent``): a customer's reply opts the number out
everywhere and only the customer lifts it; a staff opt-out applies to the chain that set it and
only that chain lifts it. So, for a caller of chain C (of branches B, for branch staff):

- They see C's staff opt-outs (for branch staff: of numbers of B's customers) with their time,
  and of a customer's reply only that the number accepts no SMS (no time, keyword or provider:
  the customer may have answered another chain), when the number is one of C's customers (of B).
  Another chain's staff opt-outs are never shown.
- Staff roles (not viewers) opt out only numbers of their own customers (of B; else 404: no
  chain can silence another's customers by typing numbers), for C alone.
- They remove only C's staff opt-outs they can see (404 otherwise); a customer's reply is
  theirs to lift (409, with how).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import asyncpg
from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ClientException, HTTPException, NotFoundException
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
    source: Literal["reply", "staff"]
    """``reply``: the customer asked (everywhere); ``staff``: this chain's staff did."""
    opted_out_at: datetime | None
    """When this chain's staff opted the number out; ``None`` for a customer's reply."""
    keyword: str | None
    """Always ``None``: what the customer replied, and to whom, is not the chain's to read."""
    set_by_this_chain: bool
    removable: bool
    """Whether this chain may lift it (``DELETE``): its own staff opt-outs only."""


# $1 the caller's chain, $2 their branches (NULL: the whole chain)
_CUSTOMER = """
    EXISTS (SELECT 1 FROM contacts c WHERE c.phone = o.phone AND c.chain_id = $1
        AND ($2::uuid[] IS NULL OR c.branch_id = ANY($2::uuid[])))
"""
_OWN_STAFF = f"(o.set_by_chain = $1 AND ($2::uuid[] IS NULL OR {_CUSTOMER}))"
_VISIBLE = f"({_OWN_STAFF} OR (o.set_by_chain IS NULL AND {_CUSTOMER}))"


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
            ORDER BY o.set_by_chain IS NULL, o.opted_out_at DESC, o.phone LIMIT $4 OFFSET $5
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
        """Stop this chain's SMS to one of its customers' numbers at once (its pending and held
        messages become suppressed); other chains' messages are not touched."""
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
                    f"phone: {mask_phone_numbers(phone)} não é de um cliente das suas filiais"
                )
            created = await opt_out(
                conn, phone, source="staff", now=callbacks.clock(), chain_id=principal.chain_id
            )
            row = await conn.fetchrow(
                "SELECT * FROM opt_outs WHERE phone = $1 AND set_by_chain = $2",
                phone,
                principal.chain_id,
            )
        assert row is not None
        return Response(_out(dict(row), principal), status_code=201 if created else 200)

    @delete("/{phone:str}", status_code=204)
    async def remove_opt_out(
        self,
        phone: FromPath[str],
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
    ) -> None:
        """Lift this chain's own staff opt-out of a number (at the customer's request)."""
        principal.require_role(*STAFF_ROLES, action="recadastrar um número para SMS")
        number = _phone(phone)
        async with pool.acquire() as conn, conn.transaction():
            kinds = await conn.fetch(
                f"SELECT o.set_by_chain FROM opt_outs o WHERE o.phone = $3 AND {_VISIBLE}",
                principal.chain_id,
                _branches(principal),
                number,
            )
            if any(k["set_by_chain"] == principal.chain_id for k in kinds):
                await opt_in(conn, number, chain_id=principal.chain_id)
                return
        masked = mask_phone_numbers(number)
        if kinds:  # only the customer's own reply, which is theirs to lift
            raise HTTPException(
                status_code=409,
                detail=f"phone: {masked} pediu por SMS para não receber mensagens; só o "
                "cliente pode voltar a recebê-las, respondendo VOLTAR",
            )
        raise NotFoundException(f"phone: {masked} não foi descadastrado pela sua rede")


def _phone(raw: str) -> str:
    try:
        return normalize_phone(raw)
    except InvalidPhone as exc:
        raise ClientException(f"phone: {exc}") from None


def _branches(principal: Principal) -> list[Any] | None:
    visible = principal.visible_branches()
    return None if visible is None else list(visible)


def _out(row: dict[str, Any], principal: Principal) -> OptOutOut:
    own = row["set_by_chain"] == principal.chain_id
    return OptOutOut(
        phone_masked=mask_phone_numbers(row["phone"]),
        source=row["source"],
        opted_out_at=row["opted_out_at"] if own else None,
        keyword=None,
        set_by_this_chain=own,
        removable=own,
    )
