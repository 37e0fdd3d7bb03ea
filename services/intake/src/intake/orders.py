"""Opening an order at the counter.

Rules:
- The order number is ``<branch code>-<6-digit sequence>``, per branch, without gaps: the
  sequence is taken from the branch row inside the order's transaction, so a failed request
  gives its number back.
- An ``Idempotency-Key`` makes a retry safe: the same key with the same request returns the
  order it created; the same key with a different request is a conflict. Concurrent requests
  with one key wait for each other on the key's row.
- The order and its ``order.opened.v1`` are written in one transaction (outbox).
- The service type must be one of the chain's active ones once the chain knows any (see
  ``intake.service_types``); a lab, when given, must be a lab of the order's chain.
- A promised date before today *in the branch's time zone* is refused (the order would be late
  at birth). Whether it is earlier than the flow's proposal only workflow knows: the counter
  says it meant it with ``confirm_before_proposal``, which travels in ``order.opened.v1``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from intake.directory import snapshot_of
from intake.idempotency import claim_key
from intake.labs import lab_in_chain
from intake.sequence import OPENING_SEQ
from intake.service_types import UnknownServiceType, check_service_type
from shared import outbox
from shared.database import Connection
from shared.events import CustomerSummary, OrderOpened
from shared.logging import current_correlation_id


class UnknownBranch(LookupError):
    pass


class InvalidOrderField(ValueError):
    """A field names something the chain does not have; ``field`` says which."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


@dataclass(frozen=True, slots=True)
class NewOrder:
    branch_id: UUID
    service_type: str
    customer_name: str
    customer_phone: str  # E.164, already validated
    sms_consent: bool
    items: list[dict[str, Any]]
    promised_date: date | None
    lab_code: str | None
    notes: str | None
    external_reference: str | None
    confirm_before_proposal: bool = False
    """The counter confirmed a promised date earlier than the proposal on purpose."""

    def fingerprint(self) -> str:
        fields = {field: getattr(self, field) for field in self.__slots__}
        if not self.confirm_before_proposal:  # keys taken before the flag existed still match
            del fields["confirm_before_proposal"]
        canonical = json.dumps(fields, default=str, sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class OpenedOrder:
    order: dict[str, Any]
    created: bool


_ORDER_COLUMNS = (
    "order_id, chain_id, branch_id, number, service_type, customer_name, customer_phone, "
    "sms_consent, items, promised_date, lab_code, lab_order_number, notes, external_reference, "
    "opened_at"
)


async def open_order(
    conn: Connection,
    new: NewOrder,
    *,
    chain_id: UUID,
    now: datetime,
    idempotency_key: str | None,
) -> OpenedOrder:
    """Register ``new`` (or return the order an earlier request with the same key created)."""
    async with conn.transaction():
        branch = await conn.fetchrow(
            "UPDATE branches SET next_order_seq = next_order_seq + 1 "
            "WHERE branch_id = $1 AND chain_id = $2 RETURNING *, next_order_seq - 1 AS seq, "
            "(SELECT name FROM chains c WHERE c.chain_id = branches.chain_id) AS chain_name",
            new.branch_id,
            chain_id,
        )
        if branch is None:
            raise UnknownBranch(f"branch {new.branch_id} does not exist")
        order_id = uuid4()
        if idempotency_key is not None:
            existing = await claim_key(
                conn, "idempotency_keys", chain_id, idempotency_key, new.fingerprint(), order_id
            )
            if existing is not None:
                # Raise to roll back the sequence we took; the caller gets the first order.
                raise _Replay(existing)
        await _check_references(conn, chain_id, new)
        _check_promised_date(new.promised_date, branch["timezone"], branch["code"], now)
        number = f"{branch['code']}-{branch['seq']:06d}"
        row = await conn.fetchrow(
            f"""
            INSERT INTO orders (order_id, chain_id, branch_id, seq, number, service_type,
                customer_name, customer_phone, sms_consent, items, promised_date, lab_code,
                notes, external_reference, opened_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
            RETURNING {_ORDER_COLUMNS}
            """,
            order_id,
            chain_id,
            new.branch_id,
            branch["seq"],
            number,
            new.service_type,
            new.customer_name,
            new.customer_phone,
            new.sms_consent,
            new.items,
            new.promised_date,
            new.lab_code,
            new.notes,
            new.external_reference,
            now,
        )
        assert row is not None  # INSERT … RETURNING always returns the row
        await outbox.enqueue(
            conn,
            OrderOpened(
                occurred_at=now,
                correlation_id=current_correlation_id(),
                chain_id=chain_id,
                order_id=order_id,
                order_number=number,
                branch=snapshot_of(dict(branch), branch["chain_name"]),
                service_type=new.service_type,
                customer=CustomerSummary(
                    name=new.customer_name, phone=new.customer_phone, sms_consent=new.sms_consent
                ),
                promised_date=new.promised_date,
                lab_code=new.lab_code,
                opened_at=now,
                order_seq=OPENING_SEQ,
                confirm_before_proposal=new.confirm_before_proposal,
            ),
        )
        return OpenedOrder(order=dict(row), created=True)


async def _check_references(conn: Connection, chain_id: UUID, new: NewOrder) -> None:
    try:
        await check_service_type(conn, chain_id, new.service_type)
    except UnknownServiceType as exc:
        raise InvalidOrderField("service_type", str(exc)) from None
    if new.lab_code is not None and not await lab_in_chain(conn, chain_id, new.lab_code):
        raise InvalidOrderField("lab_code", f"no lab {new.lab_code!r} in this chain")


def _check_promised_date(promised: date | None, timezone: str, branch: str, now: datetime) -> None:
    today = now.astimezone(ZoneInfo(timezone)).date()
    if promised is not None and promised < today:
        raise InvalidOrderField(
            "promised_date",
            f"a data prometida ({promised:%d/%m/%Y}) já passou: hoje é {today:%d/%m/%Y} "
            f"na filial {branch}",
        )


class _Replay(Exception):
    def __init__(self, order_id: UUID) -> None:
        self.order_id = order_id


async def open_order_idempotently(
    conn: Connection,
    new: NewOrder,
    *,
    chain_id: UUID,
    now: datetime,
    idempotency_key: str | None,
) -> OpenedOrder:
    try:
        return await open_order(
            conn, new, chain_id=chain_id, now=now, idempotency_key=idempotency_key
        )
    except _Replay as replay:
        order = await get_order(conn, chain_id, replay.order_id)
        assert order is not None  # the key row and the order commit together
        return OpenedOrder(order=order, created=False)


async def get_order(conn: Connection, chain_id: UUID, order_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"SELECT {_ORDER_COLUMNS} FROM orders WHERE chain_id = $1 AND order_id = $2",
        chain_id,
        order_id,
    )
    return dict(row) if row else None
