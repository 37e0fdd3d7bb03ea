"""Months of past orders for the demo, the review tests and the benchmark (never production).

``python -m workflow seed-demo-history`` writes about three months of delivered orders of the
demo chain's ``venda-oculos-grau`` and ``reparo`` into the tables the analytics read. They are
drawn (with a fixed seed) so the review shows something real:

- **Controle de qualidade** is the bottleneck: planned for 1 business day, it often takes 2–4
  (one person checks every pair of glasses);
- **LABLENTO**, the slow lab, takes two business days more than LABDEMO in production;
- a few orders are paused (waiting for a frame) and a few customers pick up late.

Every stay ends at a time within opening hours on the day its drawn duration lands, never
before it starts; the promised date is the quote at the real opening time. Numbers run once per
branch across both types (``SP01-H00001``, …): no number is given twice.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from shared.clock import system_clock
from shared.database import create_pool
from shared.demo import DEMO_BRANCHES, DEMO_CHAIN_ID, DEMO_LAB_CODE, DEMO_SLOW_LAB_CODE
from shared.logging import get_logger
from shared.settings import refuse_demo_outside_development
from workflow.adapters.holidays import CalendarCache
from workflow.adapters.postgres.branches import PostgresBranchStore
from workflow.adapters.postgres.flows import PostgresFlowStore
from workflow.adapters.postgres.history_seed import (
    PastOrder,
    PastStay,
    has_history,
    insert_history,
)
from workflow.config import WorkflowSettings
from workflow.domain.calendar import BranchCalendar
from workflow.domain.flow import FlowVersion
from workflow.domain.history import DeadlineMemo, plan_of

# Days taken in each stage (in its counting), and their weights.
DAYS_TAKEN: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "conferencia": ((0, 1, 2), (50, 45, 5)),
    "envio-laboratorio": ((0, 1, 2), (60, 35, 5)),
    "producao": ((3, 4, 5, 6), (20, 35, 35, 10)),
    "montagem": ((0, 1, 2), (40, 50, 10)),
    "controle-qualidade": ((0, 1, 2, 3, 4), (15, 25, 30, 20, 10)),
    "pronto-para-retirada": ((0, 1, 2, 4), (70, 20, 7, 3)),
    "avaliacao": ((0, 1, 2), (45, 45, 10)),
    "conserto": ((1, 2, 3, 4, 5), (10, 25, 35, 20, 10)),
}
log = get_logger(__name__)

HISTORY_TYPES = ("venda-oculos-grau", "reparo")
HISTORY_DAYS = 100
SEED = 20261202
SLOW_LAB, FAST_LAB = DEMO_SLOW_LAB_CODE, DEMO_LAB_CODE
SLOW_LAB_EXTRA_DAYS = 2
NAMES = (
    "Ana Souza", "Bruno Lima", "Carla Dias", "Diego Alves", "Elisa Rocha", "Fábio Nunes",
    "Gabriela Melo", "Heitor Castro", "Isabela Freitas", "João Pires", "Larissa Teixeira",
    "Marcos Vieira", "Natália Gomes", "Otávio Ramos", "Paula Cardoso", "Renato Barros",
)  # fmt: skip


def _taken(key: str, planned: int, rng: random.Random) -> int:
    drawn = DAYS_TAKEN.get(key)
    if drawn is None:
        return planned + (1 if rng.random() < 0.3 else 0)
    return rng.choices(drawn[0], drawn[1])[0]


def _open_days(calendar: BranchCalendar, first: date, last: date) -> list[date]:
    days = []
    day = first
    while day <= last:
        if calendar.is_business_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def synthesize(
    flow: FlowVersion,
    branches: Sequence[tuple[UUID, str, BranchCalendar]],
    first: date,
    last: date,
    now: datetime,
    rng: random.Random,
    orders_per_day: tuple[int, int] = (2, 5),
    numbered: Mapping[UUID, int] | None = None,
) -> list[PastOrder]:
    """Delivered orders of ``flow`` opened from ``first`` to ``last`` and delivered before
    ``now``, in each branch's calendar; a branch's numbers follow the ``numbered`` it has
    already (none by default)."""
    uses_lab = any(stage.lab_statuses for stage in flow.stages)
    plan = plan_of(flow.stages)
    orders: list[PastOrder] = []
    for branch_id, code, calendar in branches:
        memo = DeadlineMemo(calendar)
        zone = calendar.day_index.zone
        sequence = (numbered or {}).get(branch_id, 0)
        for day in _open_days(calendar, first, last):
            for _ in range(rng.randint(*orders_per_day)):
                minutes = rng.randint(0, 8 * 60 + 30)
                opened = datetime.combine(day, time(9, 0), zone) + timedelta(minutes=minutes)
                lab = (SLOW_LAB if rng.random() < 0.3 else FAST_LAB) if uses_lab else None
                paused = timedelta(days=rng.choice((1, 2))) if rng.random() < 0.06 else None
                stays = []
                at = opened
                for position, stage in enumerate(flow.stages):
                    due = memo.due_at(at, stage.planned_days, stage.counting.value)
                    taken = _taken(stage.key, stage.planned_days, rng)
                    if stage.lab_statuses and lab == SLOW_LAB and stage.key == "producao":
                        taken += SLOW_LAB_EXTRA_DAYS
                    target = memo.due_at(at, taken, stage.counting.value)
                    exited = target - timedelta(minutes=rng.randint(0, 7 * 60))
                    if position == 0 and paused is not None:
                        # Waiting for a frame: the clock gives the paused days back.
                        exited += paused
                        due += paused
                    exited = max(exited, at + timedelta(minutes=rng.randint(5, 90)))
                    stays.append(PastStay(position, stage.key, stage.name, at, due, exited))
                    at = exited
                if at >= now:
                    continue
                sequence += 1
                orders.append(
                    PastOrder(
                        order_id=UUID(int=rng.getrandbits(128)),
                        number=f"{code}-H{sequence:05d}",
                        branch_id=branch_id,
                        service_type=flow.service_type,
                        flow_version=flow.version,
                        customer_name=rng.choice(NAMES),
                        lab_code=lab,
                        opened_at=opened.astimezone(UTC),
                        promised_date=memo.promise(opened, plan),
                        stays=tuple(stays),
                        paused=paused or timedelta(0),
                    )
                )
    return orders


def synthesize_all(
    flows: Sequence[FlowVersion],
    branches: Sequence[tuple[UUID, str, BranchCalendar]],
    first: date,
    last: date,
    now: datetime,
    rng: random.Random,
) -> list[PastOrder]:
    """``synthesize`` for each of ``flows``, a branch's numbers running on from one flow to the
    next (before: each flow started again at ``H00001``, so ``SP01-H00018`` was two orders)."""
    numbered: Counter[UUID] = Counter()
    orders: list[PastOrder] = []
    for flow in flows:
        history = synthesize(flow, branches, first, last, now, rng, numbered=numbered)
        numbered.update(order.branch_id for order in history)
        orders += history
    return orders


async def seed_demo_history(settings: WorkflowSettings) -> None:
    """The demo chain's past orders, once (a chain that has them already is left alone)."""
    refuse_demo_outside_development(settings.service)
    pool = await create_pool(settings.service.database_direct_url)
    try:
        async with pool.acquire() as conn, conn.transaction():
            if await has_history(conn, DEMO_CHAIN_ID):
                log.info("demo_history_already_seeded")
                return
            now = system_clock()
            cache = CalendarCache()
            calendars = []
            branch_store, flow_store = PostgresBranchStore(conn), PostgresFlowStore(conn)
            for branch in DEMO_BRANCHES:
                # As old as can be: the branch.upserted that intake publishes replaces it.
                row = await branch_store.ensure(
                    DEMO_CHAIN_ID, branch.snapshot(), datetime(2000, 1, 1, tzinfo=UTC)
                )
                calendars.append((branch.branch_id, branch.code, cache.for_branch(row, now)))
            rng = random.Random(SEED)  # noqa: S311 - demo data, drawn the same every time
            today = now.date()
            flows = [
                flow
                for code in HISTORY_TYPES
                if (flow := await flow_store.latest(DEMO_CHAIN_ID, code)) is not None
            ]
            first, last = today - timedelta(days=HISTORY_DAYS), today - timedelta(days=2)
            history = synthesize_all(flows, calendars, first, last, now, rng)
            await insert_history(conn, DEMO_CHAIN_ID, history)
    finally:
        await pool.close()
    log.info("demo_history_seeded", orders=dict(Counter(o.service_type for o in history)))
