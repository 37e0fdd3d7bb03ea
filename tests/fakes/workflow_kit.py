"""Builders for workflow's store contract suites and use-case unit tests: a branch, a flow, an
order opened through the pure machine, and the events intake sends."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from etapa_contracts.events import (
    BranchSnapshot,
    CustomerSummary,
    LabStatus,
    NotificationStatus,
    OrderAction,
    OrderOpened,
)
from workflow.domain.calendar import BranchCalendar, DayCounting
from workflow.domain.flow import FlowVersion, Stage
from workflow.domain.order_machine import Decision
from workflow.domain.order_state import open_order
from workflow.domain.records import NewOrder
from workflow.usecases.ports import Stores

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
"""A Monday, 09:00 in São Paulo."""
STAGES = (
    Stage("conferencia", "Conferência", 1, DayCounting.BUSINESS, sms_template="OS {numero_os}"),
    Stage("producao", "Produção", 3, DayCounting.BUSINESS, lab_statuses=("in_production",)),
    Stage("pronto", "Pronto", 0, DayCounting.BUSINESS, pauses_clock=True),
)
CALENDAR = BranchCalendar(timezone="America/Sao_Paulo", closed_days={})


def snapshot(branch_id: UUID | None = None, **changes: object) -> BranchSnapshot:
    data: dict[str, object] = {
        "branch_id": branch_id or uuid.uuid4(),
        "code": "SP01",
        "name": "Visão Clara Paulista",
        "state": "SP",
        "city": "Campinas",
        "timezone": "America/Sao_Paulo",
        "chain_name": "Óticas Visão Clara",
    }
    data.update(changes)
    return BranchSnapshot.model_validate(data)


def new_order(chain_id: UUID, branch_id: UUID, **changes: object) -> NewOrder:
    order = NewOrder(
        order_id=uuid.uuid4(),
        chain_id=chain_id,
        branch_id=branch_id,
        number="SP01-000001",
        service_type="teste",
        customer_name="Maria da Silva",
        lab_code=None,
        promised_date=None,
        opened_at=T0,
        customer_phone="+5511987654321",
    )
    return replace(order, **changes)  # type: ignore[arg-type]


def opened_decision(flow: FlowVersion, at: datetime = T0, promised: date | None = None) -> Decision:
    return open_order(flow, CALENDAR, at, promised)


async def seed(stores: Stores, chain_id: UUID) -> tuple[UUID, FlowVersion]:
    """A branch of ``chain_id`` and version 1 of the ``teste`` flow; the branch id and flow."""
    branch = snapshot()
    await stores.branches.ensure(chain_id, branch, T0 - timedelta(days=1))
    flow, _ = await stores.flows.add_version(
        chain_id, "teste", "Serviço de teste", STAGES, created_by=None
    )
    return branch.branch_id, flow


def opened_event(chain_id: UUID, branch: BranchSnapshot, **changes: object) -> OrderOpened:
    data: dict[str, object] = {
        "occurred_at": T0,
        "correlation_id": "c-1",
        "chain_id": chain_id,
        "order_id": uuid.uuid4(),
        "order_number": "SP01-000001",
        "branch": branch,
        "service_type": "teste",
        "customer": CustomerSummary(
            name="Maria da Silva", phone="+5511987654321", sms_consent=True
        ),
        "opened_at": T0,
        "order_seq": 1,
    }
    data.update(changes)
    return OrderOpened.model_validate(data)


def action_event(
    opened: OrderOpened, action: str, seq: int | None, **changes: object
) -> OrderAction:
    data: dict[str, object] = {
        "occurred_at": T0 + timedelta(hours=1),
        "correlation_id": "c-1",
        "chain_id": opened.chain_id,
        "order_id": opened.order_id,
        "action": action,
        "actor": "atendente@rede",
        "requested_at": T0 + timedelta(hours=1),
        "order_seq": seq,
    }
    data.update(changes)
    return OrderAction.model_validate(data)


def lab_event(opened: OrderOpened, status: str, seq: int | None, **changes: object) -> LabStatus:
    data: dict[str, object] = {
        "occurred_at": T0 + timedelta(hours=2),
        "correlation_id": "c-1",
        "chain_id": opened.chain_id,
        "order_id": opened.order_id,
        "lab_code": "LABX",
        "status": status,
        "reported_at": T0 + timedelta(hours=2),
        "order_number": "SP01-000001",
        "raw_message_id": str(uuid.uuid4()),
        "order_seq": seq,
    }
    data.update(changes)
    return LabStatus.model_validate(data)


def message_status(opened: OrderOpened, status: str, at: datetime) -> NotificationStatus:
    return NotificationStatus.model_validate(
        {
            "occurred_at": at,
            "correlation_id": "c-1",
            "chain_id": opened.chain_id,
            "order_id": opened.order_id,
            "notification_id": uuid.uuid4(),
            "entry_sequence": 1,
            "status": status,
        }
    )
