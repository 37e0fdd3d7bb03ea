"""Lab intake on the fakes: accepted, rejected (kept with the reason), stale, duplicate, and a
rejected message replayed once its order exists."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from etapa_contracts.events import LabStatus
from intake.domain.lab_intake import NotReplayable
from intake.usecases.open_order import open_order
from intake.usecases.receive_lab_update import receive, replay
from tests.fakes.intake import FakeIntake
from tests.unit.intake.test_open_order import NOW, _chain_and_branch, _new


def _body(
    number: str, *, message_id: str = "m-1", minutes_ago: int = 5, lab: str = "LABX"
) -> bytes:
    return json.dumps(
        {
            "message_id": message_id,
            "lab_code": lab,
            "order_number": number,
            "lab_order_number": "778812",
            "status": "in_production",
            "occurred_at": (NOW - timedelta(minutes=minutes_ago)).isoformat(),
        }
    ).encode()


async def _setup(intake: FakeIntake, *, open_it: bool = True) -> tuple[uuid.UUID, str]:
    chain_id, branch = await _chain_and_branch(intake)
    async with intake.begin() as stores:
        await stores.labs.create(
            lab_id=uuid.uuid4(), chain_id=chain_id, code="LABX", name="Lab X", now=NOW
        )
    if not open_it:
        return chain_id, "SP01-000001"
    opened = await open_order(
        intake,
        _new(branch, lab_code="LABX"),
        chain_id=chain_id,
        now=NOW,
        new_id=uuid.uuid4,
        idempotency_key=None,
    )
    return chain_id, opened.order.number


async def _receive(intake: FakeIntake, body: bytes, sender: str = "LABX"):  # type: ignore[no-untyped-def]
    return await receive(
        intake,
        body=body,
        sender_code=sender,
        via="amqp",
        routing_key=f"lab.{sender}.status",
        now=NOW,
        new_id=uuid.uuid4,
    )


async def test_an_accepted_message_is_applied_and_published_once() -> None:
    intake = FakeIntake()
    chain_id, number = await _setup(intake)
    outcome = await _receive(intake, _body(number))
    assert outcome.status == "accepted"
    again = await _receive(intake, _body(number))
    assert (again.status, again.lab_message_id) == ("duplicate", outcome.lab_message_id)
    events = [e for e in intake.published if isinstance(e, LabStatus)]
    assert [(e.status, e.order_seq, e.lab_order_number) for e in events] == [
        ("in_production", 2, "778812")
    ]
    async with intake.begin() as stores:
        order = await stores.orders.by_number(chain_id, number)
    assert order is not None
    assert order.lab_order_number == "778812"


@pytest.mark.parametrize(
    ("body", "sender", "reason"),
    [
        (b"{not json", "LABX", "body: not JSON"),
        (_body("SP01-000001", lab="LABY"), "LABX", "differs from the sending lab"),
        (_body("SP01-000099"), "LABX", "no order SP01-000099"),
        (_body("SP01-000001"), "NOPE", "'NOPE' is not registered"),
        (_body("SP01-000001", minutes_ago=-60), "LABX", "está no futuro"),
    ],
)
async def test_a_message_that_cannot_be_applied_is_kept_rejected_with_the_reason(
    body: bytes, sender: str, reason: str
) -> None:
    intake = FakeIntake()
    _chain_id, _number = await _setup(intake)
    outcome = await _receive(intake, body, sender)
    assert outcome.status == "rejected"
    assert outcome.reason is not None
    assert reason in outcome.reason
    assert [e for e in intake.published if isinstance(e, LabStatus)] == []
    stored = intake.state.lab_messages[outcome.lab_message_id]
    assert (stored.status, stored.reason, stored.body) == ("rejected", outcome.reason, body)


async def test_an_older_message_is_stale_and_not_published() -> None:
    intake = FakeIntake()
    _chain_id, number = await _setup(intake)
    await _receive(intake, _body(number, message_id="new", minutes_ago=5))
    older = await _receive(intake, _body(number, message_id="old", minutes_ago=50))
    assert older.status == "stale"
    assert len([e for e in intake.published if isinstance(e, LabStatus)]) == 1


async def test_a_rejected_message_is_replayed_once_its_order_exists() -> None:
    intake = FakeIntake()
    chain_id, branch = await _chain_and_branch(intake)
    async with intake.begin() as stores:
        await stores.labs.create(
            lab_id=uuid.uuid4(), chain_id=chain_id, code="LABX", name="Lab X", now=NOW
        )
    rejected = await _receive(intake, _body("SP01-000001"))
    assert rejected.status == "rejected"
    resent = await _receive(intake, _body("SP01-000001"))  # a resend of a rejected one: again
    assert (resent.status, resent.lab_message_id) == ("rejected", rejected.lab_message_id)
    await open_order(
        intake, _new(branch), chain_id=chain_id, now=NOW, new_id=uuid.uuid4, idempotency_key=None
    )
    replayed = await replay(
        intake, chain_id=chain_id, lab_message_id=rejected.lab_message_id, now=NOW
    )
    assert replayed is not None
    assert replayed.status == "replayed"
    assert intake.state.lab_messages[rejected.lab_message_id].attempts == 3
    with pytest.raises(NotReplayable):
        await replay(intake, chain_id=chain_id, lab_message_id=rejected.lab_message_id, now=NOW)
    assert (
        await replay(intake, chain_id=uuid.uuid4(), lab_message_id=rejected.lab_message_id, now=NOW)
        is None
    )


async def test_an_order_with_no_lab_goes_to_the_first_lab_whose_message_applies() -> None:
    intake = FakeIntake()
    chain_id, branch = await _chain_and_branch(intake)
    async with intake.begin() as stores:
        for code in ("LABX", "LABY"):
            await stores.labs.create(
                lab_id=uuid.uuid4(), chain_id=chain_id, code=code, name=code, now=NOW
            )
    opened = await open_order(
        intake, _new(branch), chain_id=chain_id, now=NOW, new_id=uuid.uuid4, idempotency_key=None
    )
    number = opened.order.number
    assert opened.order.lab_code is None
    unnamed = json.loads(_body(number, lab="LABY"))
    del unnamed["lab_code"]  # optional: the routing key names the lab
    first = await _receive(intake, json.dumps(unnamed).encode(), sender="LABY")
    assert first.status == "accepted"
    refused = await _receive(intake, _body(number, message_id="m-2"), sender="LABX")
    assert (refused.status, refused.reason) == (
        "rejected",
        f"order_number: order {number} is with another lab",  # LABY is not named
    )
    mismatch = await _receive(intake, _body(number, message_id="m-3", lab="LABX"), sender="LABY")
    assert mismatch.status == "rejected"
    assert mismatch.reason is not None
    assert mismatch.reason.startswith("lab_code:")
    async with intake.begin() as stores:
        order = await stores.orders.by_number(chain_id, number)
        listed = await stores.lab_messages.list_lab_messages(chain_id, "LABY", None, 10, 0)
    assert order is not None
    assert order.lab_code == "LABY"
    assert sorted(m.status for m in listed) == ["accepted", "rejected"]  # both at NOW
