"""One INFO line per state change of an order, with its correlation id, id and number.

What an operator greps for: workflow's stage entries, refused actions and risk changes, and
the notifier's SMS held, sent and failed, each carrying the order's correlation id (the one
intake gave the order at the counter), ``order_id`` and ``order_number``. Use cases on the
in-memory stores, logging configured as the services configure it (JSON lines on stdout).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from notifier.usecases.ports import PermanentSendError
from shared.logging import configure_logging, correlation_scope
from tests.fakes.intake import FakeIntake
from tests.fakes.notifier_kit import Notifier
from tests.fakes.workflow_kit import CALENDAR, STAGES, T0, action_event, opened_event, snapshot
from tests.fakes.workflow_stores import FakeStores
from tests.unit.intake.test_receive_lab_update import _body as lab_body
from tests.unit.intake.test_receive_lab_update import _receive as lab_receive
from tests.unit.intake.test_receive_lab_update import _setup as lab_setup
from workflow.domain.calendar import BranchCalendar
from workflow.domain.records import Branch
from workflow.usecases.apply_order_event import OrderEvents
from workflow.usecases.order_engine import OrderEngine
from workflow.usecases.sweep_risk import sweep_risk


def lines(capsys: pytest.CaptureFixture[str], event: str) -> list[dict[str, Any]]:
    found = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return [line for line in found if line["event"] == event]


class _Calendars:
    def for_branch(self, branch: Branch, now: datetime) -> BranchCalendar:
        return CALENDAR


class _Clock:
    def __init__(self) -> None:
        self.now = T0 + timedelta(hours=3)

    def __call__(self) -> datetime:
        return self.now


async def test_workflow_logs_stage_entries_refusals_and_risk_changes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    stores = FakeStores()
    chain = uuid.uuid4()
    await stores.flows.add_version(chain, "teste", "Serviço de teste", STAGES, created_by=None)
    clock = _Clock()
    engine = OrderEngine(_Calendars(), clock, 0.8, new_id=uuid.uuid4)
    configure_logging("workflow")
    events = OrderEvents(engine)
    opened = opened_event(chain, snapshot())
    with correlation_scope("c-1"):  # as the consumer binds the event's correlation id
        await events.on_order_opened(stores, opened)
    (entered,) = lines(capsys, "order_stage_entered")
    assert entered["level"] == "info"
    assert (entered["correlation_id"], entered["order_id"], entered["order_number"]) == (
        "c-1",
        str(opened.order_id),
        "SP01-000001",
    )
    assert entered["stage"] == STAGES[0].key

    with correlation_scope("c-2"):
        await events.on_order_action(stores, action_event(opened, "advance", 2, expected_version=7))
    (refused,) = lines(capsys, "order_action_refused")
    assert refused["level"] == "info"
    assert (refused["correlation_id"], refused["order_id"], refused["order_number"]) == (
        "c-2",
        str(opened.order_id),
        "SP01-000001",
    )
    assert refused["action"] == "advance"
    assert refused["reason"]

    order = await stores.orders.load(opened.chain_id, opened.order_id)
    assert order is not None
    assert order.state is not None
    clock.now = order.state.stage_due_at + timedelta(hours=1)
    await sweep_risk(stores, engine, clock.now, 100)
    (risk,) = lines(capsys, "order_risk_changed")
    assert risk["level"] == "info"
    assert (risk["order_id"], risk["order_number"], risk["correlation_id"]) == (
        str(opened.order_id),
        "SP01-000001",
        f"risk-{opened.order_id}",  # the sweeper has no request of the order's
    )
    assert (risk["risk"], risk["previous"]) == ("overdue", "on_track")


async def test_the_notifier_logs_held_sent_and_failed_with_the_orders_correlation_id(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("notifier")
    notifier = Notifier()
    order = await notifier.open_order()
    notifier.clock.advance(hours=10)  # 22:00 in São Paulo: held
    with correlation_scope("t"):  # the stage change's correlation id, bound by the consumer
        await notifier.enter_stage(order)
    dispatcher = notifier.dispatcher()
    await dispatcher.dispatch_once()
    notifier.clock.advance(hours=10)  # 08:00: sent
    await dispatcher.dispatch_once()
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    for event in ("sms_recorded", "sms_held", "sms_sent"):
        (line,) = [line for line in out if line["event"] == event]
        assert line["level"] == "info", event
        assert (line["correlation_id"], line["order_id"], line["order_number"]) == (
            "t",
            str(order.order_id),
            order.number,
        ), event
    assert "987654321" not in json.dumps(out)
    # the status events carry the order's correlation id too (no longer sms-<id>)
    assert {event.correlation_id for event in notifier.uow.db.outbox} == {"t"}

    refused = await notifier.open_order()
    with correlation_scope("t"):
        await notifier.enter_stage(refused)
    notifier.provider.failures.append(PermanentSendError("número inválido"))
    await notifier.dispatcher().dispatch_once()
    (failed,) = lines(capsys, "sms_failed")
    assert failed["level"] == "info"
    assert (failed["correlation_id"], failed["order_id"], failed["order_number"]) == (
        "t",
        str(refused.order_id),
        refused.number,
    )


async def test_intake_logs_the_opening_and_each_lab_message_with_the_order(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("intake")
    intake = FakeIntake()
    with correlation_scope("balcao-1"):  # as the HTTP middleware binds the request's id
        _, number = await lab_setup(intake)
    (opened,) = lines(capsys, "order_opened")
    assert opened["level"] == "info"
    assert (opened["correlation_id"], opened["order_number"]) == ("balcao-1", number)
    order_id = opened["order_id"]
    assert "987654321" not in json.dumps(opened)  # the customer's phone is not logged

    accepted = await lab_receive(intake, lab_body(number))
    (line,) = lines(capsys, "lab_message_accepted")
    assert line["level"] == "info"
    assert (line["order_id"], line["order_number"], line["lab_code"]) == (order_id, number, "LABX")
    assert line["lab_message_id"] == str(accepted.lab_message_id)

    await lab_receive(intake, lab_body("SP01-000099", message_id="m-2"))
    (rejected,) = lines(capsys, "lab_message_rejected")
    assert rejected["level"] == "info"  # a state change like the others, not a fault of Etapa's
    assert rejected["order_number"] == "SP01-000099"
    assert "no order SP01-000099" in rejected["reason"]
