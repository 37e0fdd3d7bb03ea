"""Event contracts: frozen, tolerant of unknown fields, versioned routing keys."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pydantic
import pytest

from shared.events import ALL_EVENTS, BranchSnapshot, CustomerSummary, Event, OrderOpened


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
