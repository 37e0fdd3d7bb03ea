"""Process review use cases on the fake ReviewStore (issue 18): owners, due reviews, recording a
review with the period's figures — in milliseconds, no database."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.fakes.workflow_kit import T0, seed
from tests.fakes.workflow_stores import FakeReviewStore, FakeStores, FakeWorkflowDatabase
from workflow.domain.process_review import Cadence, PeriodFigures, ReviewState
from workflow.domain.records import ProcessReviewRecord
from workflow.usecases import process_review as usecase

FIGURES = PeriodFigures(
    delivered=3,
    on_time=2,
    on_time_rate=2 / 3,
    median_lead_hours=30.0,
    p90_lead_hours=50.0,
    stages=(),
    bottleneck="producao",
    late_causes=(),
)


async def _world() -> tuple[FakeReviewStore, uuid.UUID]:
    db = FakeWorkflowDatabase()
    chain = uuid.uuid4()
    await seed(FakeStores(db), chain)
    return FakeReviewStore(db), chain


async def test_a_named_owner_owes_a_first_review_at_once_and_is_late_when_it_never_comes() -> None:
    store, chain = await _world()
    owner = uuid.uuid4()
    named = await usecase.set_owner(
        store,
        chain_id=chain,
        code="teste",
        owner=owner,
        owner_name="Ana",
        cadence=Cadence.WEEKLY,
        now=T0,
    )
    assert (named.owner_id, named.cadence, named.owner_since) == (owner, Cadence.WEEKLY, T0)
    assert named.due is not None
    assert (named.due.due_on, named.due.state) == (T0.date(), ReviewState.DUE)
    later = await usecase.schedules(store, chain, T0 + timedelta(days=30))
    assert [s.code for s in later] == ["teste"]
    assert later[0].due is not None
    assert later[0].due.state is ReviewState.LATE
    with pytest.raises(usecase.UnknownType):
        await usecase.set_owner(
            store,
            chain_id=chain,
            code="outro",
            owner=owner,
            owner_name="Ana",
            cadence=Cadence.WEEKLY,
            now=T0,
        )


async def test_an_owner_named_in_the_evening_owes_the_review_that_day_not_the_utc_day() -> None:
    store, chain = await _world()
    evening = datetime(2026, 12, 3, 22, 30, tzinfo=ZoneInfo("America/Sao_Paulo"))  # 01:30 UTC
    named = await usecase.set_owner(
        store,
        chain_id=chain,
        code="teste",
        owner=uuid.uuid4(),
        owner_name="Ana",
        cadence=Cadence.QUARTERLY,
        now=evening.astimezone(UTC),
    )
    assert named.due is not None
    assert (named.due.due_on, named.due.state) == (date(2026, 12, 3), ReviewState.DUE)


async def test_a_review_is_recorded_with_its_figures_and_the_flow_version_of_the_day() -> None:
    store, chain = await _world()
    reviewer = uuid.uuid4()

    async def record(resulting_version: int | None, code: str = "teste") -> ProcessReviewRecord:
        return await usecase.record_review(
            store,
            chain_id=chain,
            code=code,
            reviewer=reviewer,
            reviewer_name="Ana",
            findings="a produção atrasa",
            decisions="mais um dia na produção",
            resulting_version=resulting_version,
            period_from=date(2026, 2, 1),
            period_to=date(2026, 2, 28),
            figures=FIGURES,
            now=T0,
            new_id=uuid.uuid4,
        )

    review = await record(resulting_version=1)
    assert (review.flow_version, review.resulting_version, review.reviewed_by) == (1, 1, reviewer)
    assert review.figures["bottleneck"] == "producao"
    assert review.figures["delivered"] == 3
    assert await usecase.list_reviews(store, chain, "teste", 10, 0) == [review]
    with pytest.raises(usecase.NoSuchVersion):
        await record(resulting_version=7)
    with pytest.raises(usecase.UnknownType):
        await record(resulting_version=None, code="outro")
    assert await usecase.list_reviews(store, chain, "teste", 10, 0) == [review]  # nothing more
    (schedule,) = await usecase.schedules(store, chain, T0)
    assert schedule.last_reviewed_at == T0
