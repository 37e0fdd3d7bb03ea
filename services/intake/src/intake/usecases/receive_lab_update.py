"""Receiving a lab message: store it raw, apply it to its order, or keep it rejected (the rules:
``intake.domain.lab_intake``).

Every message is stored with its outcome in the transaction that applies it. An accepted
message updates the order's lab order number and publishes ``lab.status.v1`` through the
outbox, numbered with the order's next event number.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from etapa_contracts.events import LabStatus
from intake.domain.lab_intake import (
    Decision,
    NotReplayable,
    Outcome,
    check_message,
    check_order,
    stale,
    with_another_lab,
)
from intake.domain.lab_message import LabMessage, LabTimeWindow, Unreadable, read
from intake.domain.records import Lab, LabMessageStatus, StoredLabMessage, Via
from intake.usecases.ports import NewId, Stores, Transactions
from shared.logging import current_correlation_id, get_logger
from shared.metrics import LAB_MESSAGES, UNKNOWN_LAB

log = get_logger(__name__)

DEFAULT_WINDOW = LabTimeWindow()


async def receive(
    transactions: Transactions,
    *,
    body: bytes,
    sender_code: str,
    via: Via,
    routing_key: str | None,
    now: datetime,
    new_id: NewId,
    window: LabTimeWindow = DEFAULT_WINDOW,
) -> Outcome:
    """Store and apply one message from the lab ``sender_code``; one transaction."""
    lab_message_id = new_id()
    async with transactions.begin() as stores:
        sender = await stores.labs.by_code(sender_code)
        outcome = await _store_and_apply(
            stores,
            lab_message_id,
            sender,
            sender_code,
            body=body,
            via=via,
            routing_key=routing_key,
            now=now,
            window=window,
        )
    _count(sender, outcome, via)
    return outcome


async def _store_and_apply(
    stores: Stores,
    lab_message_id: UUID,
    sender: Lab | None,
    sender_code: str,
    *,
    body: bytes,
    via: Via,
    routing_key: str | None,
    now: datetime,
    window: LabTimeWindow,
) -> Outcome:
    message = read(body)
    inserted = await stores.lab_messages.insert(
        lab_message_id=lab_message_id,
        received_at=now,
        via=via,
        routing_key=routing_key,
        lab_code=sender_code,
        chain_id=sender.chain_id if sender else None,
        message_id=message.message_id,
        body=body,
    )
    if not inserted:
        earlier = await stores.lab_messages.earlier(sender_code, message.message_id)
        lab_message_id = earlier.lab_message_id
        if earlier.status != "rejected":
            log.info("lab_message_duplicate", lab_message_id=str(lab_message_id))
            return Outcome(lab_message_id, "duplicate", order_id=earlier.order_id)
        await stores.lab_messages.resent(
            lab_message_id, body=body, via=via, routing_key=routing_key
        )
    decision = await _apply(
        stores, lab_message_id, sender, sender_code, message, "accepted", now, window, now
    )
    return await _record(stores, lab_message_id, decision, now, sender_code, message)


def _count(sender: Lab | None, outcome: Outcome, via: Via | Literal["replay"]) -> None:
    """Count a message once its transaction committed, under its lab's code (or ``unknown``:
    any code can come in a routing key, registered ones are few)."""
    lab = sender.code if sender is not None else UNKNOWN_LAB
    LAB_MESSAGES.labels(service="intake", lab=lab, outcome=outcome.status, via=via).inc()


async def replay(
    transactions: Transactions,
    *,
    chain_id: UUID,
    lab_message_id: UUID,
    now: datetime,
    window: LabTimeWindow = DEFAULT_WINDOW,
) -> Outcome | None:
    """Try a rejected message of ``chain_id`` again; None when there is no such message."""
    async with transactions.begin() as stores:
        stored = await stores.lab_messages.for_replay(chain_id, lab_message_id)
        if stored is None:
            return None
        if stored.status != "rejected":
            raise NotReplayable(
                f"only rejected messages can be replayed; this one is {stored.status}"
            )
        assert stored.lab_code is not None  # every stored message names its sender
        sender = await stores.labs.by_code(stored.lab_code)
        message = read(stored.body)
        await stores.lab_messages.count_attempt(lab_message_id)
        decision = await _apply(
            stores,
            lab_message_id,
            sender,
            stored.lab_code,
            message,
            "replayed",
            now,
            window,
            stored.received_at,  # the lab's clock is judged against when it sent, not now
        )
        outcome = await _record(stores, lab_message_id, decision, now, stored.lab_code, message)
    _count(sender, outcome, "replay")
    return outcome


async def _apply(
    stores: Stores,
    lab_message_id: UUID,
    sender: Lab | None,
    sender_code: str,
    message: LabMessage | Unreadable,
    applied: LabMessageStatus,
    now: datetime,
    window: LabTimeWindow,
    received_at: datetime,
) -> Decision:
    checked = check_message(sender, sender_code, message, window, received_at)
    if isinstance(checked, Decision):
        return checked
    assert sender is not None  # check_message rejects a message of no registered lab
    order = await stores.orders.by_number(sender.chain_id, checked.order_number)
    refused = check_order(order, sender, checked)
    if refused is not None:
        return refused
    assert order is not None
    if not await stores.orders.bind_to_lab(order.order_id, sender.code):
        return with_another_lab(order.order_id, checked)  # another lab took it meanwhile
    if not await stores.lab_messages.advance_progress(
        order.order_id, sender.code, checked.occurred_at, lab_message_id
    ):
        return stale(order.order_id, checked)
    await stores.orders.set_lab_order_number(order.order_id, checked.lab_order_number)
    order_seq = await stores.sequence.next_event_seq(order.order_id)
    await stores.outbox.enqueue(_event(sender, checked, order.order_id, now, order_seq))
    return Decision(applied, None, order.order_id, checked.occurred_at)


def _event(
    sender: Lab, message: LabMessage, order_id: UUID, now: datetime, order_seq: int
) -> LabStatus:
    return LabStatus(
        occurred_at=now,
        correlation_id=current_correlation_id(),
        chain_id=sender.chain_id,
        order_id=order_id,
        order_number=message.order_number,
        lab_code=sender.code,
        lab_order_number=message.lab_order_number,
        status=message.status,
        status_raw=message.status_raw,
        eta=message.eta,
        reported_at=message.occurred_at,
        raw_message_id=message.message_id,
        note=message.note,
        order_seq=order_seq,
    )


async def _record(
    stores: Stores,
    lab_message_id: UUID,
    decision: Decision,
    now: datetime,
    lab_code: str,
    message: LabMessage | Unreadable,
) -> Outcome:
    await stores.lab_messages.record(
        lab_message_id,
        status=decision.status,
        reason=decision.reason,
        order_id=decision.order_id,
        occurred_at=decision.occurred_at,
        now=now,
    )
    about = {
        "lab_message_id": str(lab_message_id),
        "lab_code": lab_code,
        "order_id": str(decision.order_id) if decision.order_id else None,
        "order_number": message.order_number if isinstance(message, LabMessage) else None,
    }
    # lab_message_accepted, _replayed, _stale or _rejected
    log.info("lab_message_" + decision.status, reason=decision.reason, **about)
    return Outcome(lab_message_id, decision.status, decision.reason, decision.order_id)


async def lab_for_key(transactions: Transactions, secret: str) -> Lab | None:
    """The lab whose unrevoked API key is ``secret`` (the HTTP twin's sender)."""
    async with transactions.begin() as stores:
        return await stores.labs.lab_for_key(secret)


async def list_messages(
    transactions: Transactions,
    chain_id: UUID,
    branches: frozenset[UUID] | None,
    status: LabMessageStatus | None,
    limit: int,
    offset: int,
) -> list[StoredLabMessage]:
    async with transactions.begin() as stores:
        return await stores.lab_messages.list_messages(chain_id, branches, status, limit, offset)


async def list_lab_messages(
    transactions: Transactions,
    lab: Lab,
    status: LabMessageStatus | None,
    limit: int,
    offset: int,
) -> list[StoredLabMessage]:
    """What ``lab`` sent (by its routing key or its API key), newest first: its feedback."""
    async with transactions.begin() as stores:
        return await stores.lab_messages.list_lab_messages(
            lab.chain_id, lab.code, status, limit, offset
        )


async def get_message(
    transactions: Transactions,
    chain_id: UUID,
    branches: frozenset[UUID] | None,
    lab_message_id: UUID,
) -> StoredLabMessage | None:
    async with transactions.begin() as stores:
        return await stores.lab_messages.get(chain_id, branches, lab_message_id)
