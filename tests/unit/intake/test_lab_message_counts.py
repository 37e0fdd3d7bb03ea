"""``etapa_lab_messages_total``: each lab message counted by the sender's code, outcome and
channel, once its transaction committed; a code no lab is registered with counts as
``unknown`` (any code can come in a routing key)."""

from __future__ import annotations

import uuid

from prometheus_client import REGISTRY

from intake.usecases.receive_lab_update import replay
from tests.fakes.intake import FakeIntake
from tests.unit.intake.test_open_order import NOW
from tests.unit.intake.test_receive_lab_update import _body, _receive, _setup


def _count(lab: str, outcome: str, via: str) -> float:
    labels = {"service": "intake", "lab": lab, "outcome": outcome, "via": via}
    return REGISTRY.get_sample_value("etapa_lab_messages_total", labels) or 0.0


async def test_accepted_duplicate_and_rejected_count_under_the_labs_code() -> None:
    intake = FakeIntake()
    _, number = await _setup(intake)
    before = {o: _count("LABX", o, "amqp") for o in ("accepted", "duplicate", "rejected")}
    await _receive(intake, _body(number))
    await _receive(intake, _body(number))
    await _receive(intake, _body("SP01-999999", message_id="m-2"))
    after = {o: _count("LABX", o, "amqp") for o in ("accepted", "duplicate", "rejected")}
    assert {o: after[o] - before[o] for o in after} == {
        "accepted": 1,
        "duplicate": 1,
        "rejected": 1,
    }


async def test_a_code_no_lab_has_counts_as_unknown_not_under_its_code() -> None:
    intake = FakeIntake()
    _, number = await _setup(intake)
    code = f"Z{uuid.uuid4().hex[:6].upper()}"
    before = _count("unknown", "rejected", "amqp")
    await _receive(intake, _body(number, lab=code), sender=code)
    assert _count("unknown", "rejected", "amqp") == before + 1
    assert _count(code, "rejected", "amqp") == 0


async def test_a_replay_counts_as_replay() -> None:
    intake = FakeIntake()
    chain_id, _ = await _setup(intake, open_it=False)
    rejected = await _receive(intake, _body("SP01-000001"))
    assert rejected.status == "rejected"
    before = _count("LABX", "rejected", "replay")
    again = await replay(intake, chain_id=chain_id, lab_message_id=rejected.lab_message_id, now=NOW)
    assert again is not None
    assert _count("LABX", again.status, "replay") == before + 1
