"""The demo's past orders: every order number given once per chain, across service types."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime
from uuid import UUID

from workflow.domain.calendar import BranchCalendar
from workflow.domain.flow import FlowVersion
from workflow.entrypoints.demo_history import HISTORY_TYPES, synthesize_all
from workflow.entrypoints.demo_seed import DEMO_FLOWS

SAO_PAULO = BranchCalendar("America/Sao_Paulo", {})
BRANCHES = [
    (UUID(int=1), "SP01", SAO_PAULO),
    (UUID(int=2), "SP02", SAO_PAULO),
]


def test_no_number_is_given_twice_when_two_service_types_are_seeded() -> None:
    flows = [
        FlowVersion(code, DEMO_FLOWS[code][0], 1, DEMO_FLOWS[code][1]) for code in HISTORY_TYPES
    ]
    orders = synthesize_all(
        flows,
        BRANCHES,
        date(2026, 9, 1),
        date(2026, 10, 31),
        datetime(2026, 11, 30, 15, tzinfo=UTC),
        random.Random(3),
    )
    assert {o.service_type for o in orders} == set(HISTORY_TYPES)
    numbers = Counter(o.number for o in orders)
    assert [n for n, times in numbers.items() if times > 1] == []
    sp01 = sorted(o.number for o in orders if o.branch_id == UUID(int=1))
    assert sp01[0] == "SP01-H00001"
    assert sp01[-1] == f"SP01-H{len(sp01):05d}"  # one run, no gap
