"""Numbers that receive no SMS, as staff see and set them (the rules: ``usecases.opt_outs``).

A number of no customer of the caller's chain (branches) is a 404 naming it (masked); lifting a
customer's own reply is a 409 that says how it is lifted; a number that does not read as a
phone is a 400.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ClientException, HTTPException, NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody
from pydantic import BaseModel, ConfigDict

from notifier.usecases.opt_outs import (
    Caller,
    CustomersOwnOptOut,
    NotACustomer,
    NotOptedOutByChain,
    VisibleOptOut,
    add_staff_opt_out,
    list_opt_outs,
    remove_staff_opt_out,
)
from notifier.usecases.ports import UnitOfWork
from shared.auth import STAFF_ROLES, Principal
from shared.clock import Clock
from shared.logging import mask_phone_numbers
from shared.pagination import DEFAULT_PAGE_SIZE, Limit, Offset, Page, page_of
from shared.phones import InvalidPhone, normalize_phone


class OptOutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is refused, as elsewhere

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


class OptOutController(Controller):
    path = "/api/v1/opt-outs"
    tags = ["opt-outs"]

    @get("/")
    async def list_opt_outs(
        self,
        uow: NamedDependency[UnitOfWork],
        principal: NamedDependency[Principal],
        phone: FromQuery[str | None] = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> Page:
        """Opted-out numbers this chain may see, newest first (``phone`` finds one number)."""
        wanted = _phone(phone) if phone is not None else None
        found = await list_opt_outs(uow, _caller(principal), wanted, limit + 1, offset)
        return page_of([_out(opt_out) for opt_out in found], limit, offset)

    @post("/")
    async def add_opt_out(
        self,
        data: JSONBody[OptOutIn],
        uow: NamedDependency[UnitOfWork],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> Response[OptOutOut]:
        """Stop this chain's SMS to one of its customers' numbers at once (its pending and held
        messages become suppressed); other chains' messages are not touched."""
        principal.require_role(*STAFF_ROLES, action="descadastrar um número de SMS")
        phone = _phone(data.phone)
        try:
            kept, created = await add_staff_opt_out(uow, _caller(principal), phone, clock())
        except NotACustomer:
            raise NotFoundException(
                f"phone: {mask_phone_numbers(phone)} não é de um cliente das suas filiais"
            ) from None
        return Response(_out(kept), status_code=201 if created else 200)

    @delete("/{phone:str}", status_code=204)
    async def remove_opt_out(
        self,
        phone: FromPath[str],
        uow: NamedDependency[UnitOfWork],
        principal: NamedDependency[Principal],
    ) -> None:
        """Lift this chain's own staff opt-out of a number (at the customer's request)."""
        principal.require_role(*STAFF_ROLES, action="recadastrar um número para SMS")
        number = _phone(phone)
        masked = mask_phone_numbers(number)
        try:
            await remove_staff_opt_out(uow, _caller(principal), number)
        except CustomersOwnOptOut:
            raise HTTPException(
                status_code=409,
                detail=f"phone: {masked} pediu por SMS para não receber mensagens; só o "
                "cliente pode voltar a recebê-las, respondendo VOLTAR",
            ) from None
        except NotOptedOutByChain:
            raise NotFoundException(
                f"phone: {masked} não foi descadastrado pela sua rede"
            ) from None


def _phone(raw: str) -> str:
    try:
        return normalize_phone(raw)
    except InvalidPhone as exc:
        raise ClientException(f"phone: {exc}") from None


def _caller(principal: Principal) -> Caller:
    return Caller(principal.chain_id, principal.visible_branches())


def _out(opt_out: VisibleOptOut) -> OptOutOut:
    return OptOutOut(
        phone_masked=mask_phone_numbers(opt_out.phone),
        source=opt_out.source,
        opted_out_at=opt_out.opted_out_at,
        keyword=None,
        set_by_this_chain=opt_out.set_by_this_chain,
        removable=opt_out.set_by_this_chain,
    )
