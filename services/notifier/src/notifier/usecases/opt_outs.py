"""Opt-outs: add, remove, list — for customers' replies and for a chain's staff.

The model (issue 15):
- A customer's reply (PARE, SAIR, STOP, CANCELAR) opts the number out **everywhere**: a reply
  reaches the shared sender and cannot tell chains apart, and the customer (and the law) expect
  no more SMS from anyone. Only the customer lifts it, by replying VOLTAR or START.
- A chain's staff opt-out applies to **that chain** only: its messages to the number stop,
  other chains' do not. Only that chain's staff lift it; a customer's VOLTAR does not.
- Opting out records it (once per kind; the first time stays) and, in the same transaction,
  turns the ``pending`` and ``held`` messages it covers into ``suppressed`` with the reason, each
  published as ``notification.status.v1``. A message being sent right now may still go out.
- Opting back in removes the record; messages already suppressed stay so.

What staff see and may do (for a caller of chain C, of branches B for branch staff):
- C's staff opt-outs (for branch staff: of numbers of B's customers) with their time, and of a
  customer's reply only that the number accepts no SMS (no time, keyword or provider: the
  customer may have answered another chain), when the number is one of C's customers (of B).
  Another chain's staff opt-outs are never shown.
- They opt out only numbers of their own customers (of B; else :class:`NotACustomer`: no chain
  can silence another's customers by typing numbers), for C alone.
- They remove only C's staff opt-outs they can see (:class:`NotOptedOutByChain` otherwise); a
  customer's reply is theirs to lift (:class:`CustomersOwnOptOut`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from notifier.domain.delivery import OptOutSource
from notifier.usecases.ports import Stores, UnitOfWork
from notifier.usecases.records import OptOut
from notifier.usecases.status_events import status_event
from shared.logging import get_logger

log = get_logger(__name__)


class NotACustomer(LookupError):
    """The number is no customer of the caller's chain (or branches)."""


class NotOptedOutByChain(LookupError):
    """The caller's chain set no opt-out of this number."""


class CustomersOwnOptOut(PermissionError):
    """Only the customer's reply opted the number out: only the customer lifts it."""


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asks, as far as opt-outs go: their chain and, for branch staff, their branches."""

    chain_id: UUID
    branches: frozenset[UUID] | None


@dataclass(frozen=True, slots=True)
class VisibleOptOut:
    phone: str
    source: OptOutSource
    opted_out_at: datetime | None
    """When this chain's staff opted the number out; None for a customer's reply."""
    set_by_this_chain: bool


async def opt_out(
    stores: Stores,
    phone: str,
    *,
    source: OptOutSource,
    now: datetime,
    provider: str | None = None,
    keyword: str | None = None,
    chain_id: UUID | None = None,
) -> bool:
    """Opt ``phone`` out: everywhere for a reply, for ``chain_id`` alone for staff; True when
    it was not opted out that way before."""
    if (source == "staff") != (chain_id is not None):
        raise ValueError("a staff opt-out names its chain; a reply's names none")
    created = await stores.consent.add_opt_out(
        OptOut(phone, now, source, provider=provider, keyword=keyword, set_by_chain=chain_id)
    )
    reason = (
        f"o número pediu para não receber SMS (respondeu {keyword})"
        if source == "reply"
        else "o número foi descadastrado pela equipe"
    )
    suppressed = await stores.messages.suppress_waiting(phone, reason, now, chain_id)
    for key in suppressed:
        await stores.outbox.enqueue(status_event(key, "suppressed", reason, now))
    log.info(
        "phone_opted_out",
        phone=phone,
        source=source,
        chain_id=str(chain_id) if chain_id else None,
        suppressed=len(suppressed),
    )
    return created


async def opt_in(stores: Stores, phone: str, *, chain_id: UUID | None = None) -> bool:
    """Remove the customer's own opt-out (``chain_id`` None: a VOLTAR reply) or that chain's
    staff opt-out of ``phone``, and nothing else; True when there was one."""
    removed = await stores.consent.remove_opt_out(phone, chain_id)
    log.info(
        "phone_opted_in",
        phone=phone,
        chain_id=str(chain_id) if chain_id else None,
        was_opted_out=removed,
    )
    return removed


async def add_staff_opt_out(
    uow: UnitOfWork, caller: Caller, phone: str, now: datetime
) -> tuple[VisibleOptOut, bool]:
    """Stop the caller's chain's SMS to one of its customers' numbers at once; the opt-out as
    the caller sees it, and whether it is new."""
    async with uow() as stores:
        if not await stores.consent.is_customer(phone, caller.chain_id, caller.branches):
            raise NotACustomer(phone)
        created = await opt_out(stores, phone, source="staff", now=now, chain_id=caller.chain_id)
        kept = await stores.consent.staff_opt_out(phone, caller.chain_id)
    assert kept is not None
    return _visible(kept, caller), created


async def remove_staff_opt_out(uow: UnitOfWork, caller: Caller, phone: str) -> None:
    """Lift the caller's chain's own staff opt-out of a number (at the customer's request)."""
    async with uow() as stores:
        kinds = await stores.consent.visible_opt_outs(
            caller.chain_id, caller.branches, phone, limit=2, offset=0
        )
        if any(kind.set_by_chain == caller.chain_id for kind in kinds):
            await opt_in(stores, phone, chain_id=caller.chain_id)
            return
    if kinds:  # only the customer's own reply, which is theirs to lift
        raise CustomersOwnOptOut(phone)
    raise NotOptedOutByChain(phone)


async def list_opt_outs(
    uow: UnitOfWork, caller: Caller, phone: str | None, limit: int, offset: int
) -> list[VisibleOptOut]:
    """Opted-out numbers the caller may see, own staff ones first, newest first."""
    async with uow() as stores:
        found = await stores.consent.visible_opt_outs(
            caller.chain_id, caller.branches, phone, limit, offset
        )
    return [_visible(opt_out, caller) for opt_out in found]


def _visible(opt_out: OptOut, caller: Caller) -> VisibleOptOut:
    own = opt_out.set_by_chain == caller.chain_id
    return VisibleOptOut(
        phone=opt_out.phone,
        source=opt_out.source,
        opted_out_at=opt_out.opted_out_at if own else None,
        set_by_this_chain=own,
    )
