"""Event contracts: frozen, tolerant of unknown fields, versioned routing keys."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pydantic
import pytest

from etapa_contracts.events import ALL_EVENTS, BranchSnapshot, CustomerSummary, Event, OrderOpened


def _opened() -> OrderOpened:
    now = datetime(2026, 11, 23, 14, 3, tzinfo=UTC)
    return OrderOpened(
        occurred_at=now,
        correlation_id="c-1",
        chain_id=uuid.uuid4(),
        order_id=uuid.uuid4(),
        order_number="SP01-000123",
        branch=BranchSnapshot(
            branch_id=uuid.uuid4(),
            code="SP01",
            name="Paulista",
            state="SP",
            city="São Paulo",
            timezone="America/Sao_Paulo",
        ),
        service_type="venda-oculos-grau",
        customer=CustomerSummary(name="Ana", phone="+5511987654321", sms_consent=True),
        opened_at=now,
    )


@pytest.mark.parametrize("event_type", ALL_EVENTS, ids=lambda e: e.TYPE)
def test_every_event_has_a_versioned_routing_key_and_the_envelope_fields(
    event_type: type[Event],
) -> None:
    assert event_type.routing_key() == f"{event_type.TYPE}.v{event_type.VERSION}"
    fields = event_type.model_fields
    for name in ("type", "version", "message_id", "occurred_at", "correlation_id", "chain_id"):
        assert name in fields, f"{event_type.__name__} lacks {name}"
    assert fields["type"].default == event_type.TYPE


def test_routing_keys_are_unique() -> None:
    keys = [event.routing_key() for event in ALL_EVENTS]
    assert len(keys) == len(set(keys))


def test_an_event_round_trips_through_json() -> None:
    event = _opened()
    assert OrderOpened.model_validate_json(event.model_dump_json()) == event


def test_consumers_ignore_fields_they_do_not_know() -> None:
    data = _opened().model_dump(mode="json")
    data["added_in_a_later_minor_version"] = {"anything": 1}
    data["customer"]["loyalty_tier"] = "gold"
    assert OrderOpened.model_validate(data).order_number == "SP01-000123"


def test_events_are_frozen() -> None:
    event = _opened()
    with pytest.raises(pydantic.ValidationError):
        event.order_number = "changed"  # type: ignore[misc]


def test_an_event_without_chain_id_is_refused() -> None:
    data = _opened().model_dump(mode="json")
    del data["chain_id"]
    with pytest.raises(pydantic.ValidationError, match="chain_id"):
        OrderOpened.model_validate(data)


def test_the_tracking_fields_are_optional_so_older_producers_still_parse() -> None:
    from etapa_contracts.events import OrderStageChanged

    now = datetime(2026, 11, 23, 14, 3, tzinfo=UTC)
    older: dict[str, Any] = {
        "occurred_at": now.isoformat(), "correlation_id": "c", "chain_id": str(uuid.uuid4()),
        "order_id": str(uuid.uuid4()), "order_number": "SP01-000001",
        "branch_id": str(uuid.uuid4()), "from_stage": None,
        "to_stage": {"key": "recebido", "name": "Recebido", "position": 0},
        "entry_sequence": 1, "entered_at": now.isoformat(), "due_at": now.isoformat(),
        "projected_completion_at": now.isoformat(), "promised_date": None,
    }  # fmt: skip
    changed = OrderStageChanged.model_validate(older)
    assert (changed.tracking_token, changed.to_stage.customer_name) == (None, None)
    newer = OrderStageChanged.model_validate(
        older | {"tracking_token": "Xk3p9QzAb1c"}
        | {"to_stage": older["to_stage"] | {"customer_name": "Pedido recebido"}}
    )  # fmt: skip
    assert newer.tracking_token == "Xk3p9QzAb1c"
    assert newer.to_stage.customer_name == "Pedido recebido"
    branch = _opened().branch
    assert (branch.address, branch.opening_hours, branch.chain_name) == (None, None, None)
