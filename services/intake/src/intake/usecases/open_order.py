"""Opening an order at the counter (rules in ``intake.domain.orders``).

One transaction, in this order:
1. With an ``Idempotency-Key``, claim the key for a fresh order id *first*. A retry with the
   same request finds the order its first request made and returns it (``created=False``),
   having taken nothing; the same key with another request is a conflict
   (``IdempotencyConflict``). Concurrent requests with one key wait for each other on the key.
2. Take the branch's next number (``UnknownBranch`` when the chain has no such branch).
3. Check the references (service type, lab) and the promised date.
4. Register the order and write ``order.opened.v1`` to the outbox.

Any refusal raises out of the transaction, which rolls back the key and the number with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from etapa_contracts.events import CustomerSummary, OrderOpened
from intake.domain.orders import (
    InvalidOrderField,
    NewOrder,
    UnknownBranch,
    check_promised_date,
    order_number,
)
from intake.domain.records import Order
from intake.domain.sequence import OPENING_SEQ
from intake.domain.service_types import UnknownServiceType, check_service_type
from intake.usecases.ports import NewId, Stores, Transactions
from shared.logging import current_correlation_id


@dataclass(frozen=True, slots=True)
class OpenedOrder:
    order: Order
    created: bool


async def open_order(
    transactions: Transactions,
    new: NewOrder,
    *,
    chain_id: UUID,
    now: datetime,
    new_id: NewId,
    idempotency_key: str | None,
) -> OpenedOrder:
    """Register ``new`` (or return the order an earlier request with the same key created)."""
    order_id = new_id()
    async with transactions.begin() as stores:
        if idempotency_key is not None:
            earlier = await stores.keys.claim(
                "order", chain_id, idempotency_key, new.fingerprint(), order_id
            )
            if earlier is not None:
                order = await stores.orders.get(chain_id, earlier)
                assert order is not None  # the key row and the order commit together
                return OpenedOrder(order, created=False)
        numbered = await stores.sequence.take_order_number(chain_id, new.branch_id)
        if numbered is None:
            raise UnknownBranch(f"branch {new.branch_id} does not exist")
        branch = numbered.branch
        await _check_references(stores, chain_id, new)
        check_promised_date(new.promised_date, branch.timezone, branch.code, now)
        number = order_number(branch.code, numbered.seq)
        order = await stores.orders.insert(
            Order(
                order_id=order_id,
                chain_id=chain_id,
                branch_id=new.branch_id,
                number=number,
                service_type=new.service_type,
                customer_name=new.customer_name,
                customer_phone=new.customer_phone,
                sms_consent=new.sms_consent,
                items=new.items,
                promised_date=new.promised_date,
                lab_code=new.lab_code,
                lab_order_number=None,
                notes=new.notes,
                external_reference=new.external_reference,
                opened_at=now,
            ),
            numbered.seq,
        )
        await stores.outbox.enqueue(
            OrderOpened(
                occurred_at=now,
                correlation_id=current_correlation_id(),
                chain_id=chain_id,
                order_id=order_id,
                order_number=number,
                branch=branch.snapshot(numbered.chain_name),
                service_type=new.service_type,
                customer=CustomerSummary(
                    name=new.customer_name, phone=new.customer_phone, sms_consent=new.sms_consent
                ),
                promised_date=new.promised_date,
                lab_code=new.lab_code,
                opened_at=now,
                order_seq=OPENING_SEQ,
                confirm_before_proposal=new.confirm_before_proposal,
            )
        )
        return OpenedOrder(order, created=True)


async def _check_references(stores: Stores, chain_id: UUID, new: NewOrder) -> None:
    try:
        check_service_type(await stores.service_types.known(chain_id), new.service_type)
    except UnknownServiceType as exc:
        raise InvalidOrderField("service_type", str(exc)) from None
    if new.lab_code is not None and not await stores.labs.in_chain(chain_id, new.lab_code):
        raise InvalidOrderField("lab_code", f"no lab {new.lab_code!r} in this chain")


async def get_order(transactions: Transactions, chain_id: UUID, order_id: UUID) -> Order | None:
    """The order as registered at the counter (its progress is on the workflow service)."""
    async with transactions.begin() as stores:
        return await stores.orders.get(chain_id, order_id)
