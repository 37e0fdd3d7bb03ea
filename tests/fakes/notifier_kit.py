"""A notifier on the in-memory stores, for use-case tests that run in milliseconds: events in
through the same use cases the consumers call, a dispatcher with a clock the test moves, and an
in-memory SMS provider that records what it was asked to send."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from etapa_contracts.events import (
    BranchSnapshot,
    BranchUpserted,
    CustomerSummary,
    OrderClosed,
    OrderOpened,
    OrderStageChanged,
    SendingWindow,
    StageRef,
)
from notifier.entrypoints.loops import DispatcherLoop
from notifier.usecases.close_order import close_order
from notifier.usecases.dispatch import DispatchMessages, DispatchPolicy
from notifier.usecases.keep_branch import keep_branch
from notifier.usecases.keep_contact import keep_contact
from notifier.usecases.ports import LookupResult, OutgoingSms, Receipt, SentQuery
from notifier.usecases.record_notification import record_notification
from notifier.usecases.send_round import Providers
from tests.fakes.notifier_stores import FakeUnitOfWork

TUESDAY_NOON_SP = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
TEMPLATE = "Olá {nome}! Sua OS {numero_os} está em {etapa} na {filial}. Previsão: {previsao}."


class DatabaseDown(OSError):
    """Stands for a database outage in the fakes."""


@dataclass
class MemoryProvider:
    """An SMS provider in memory: ``failures`` are raised by the next sends, one each.

    With ``supports_lookup`` it answers lookups from what it was sent (by key); the next
    lookups answer ``unknown`` while ``unsure_lookups`` is above zero."""

    name: str = "http"
    supports_idempotency: bool = True
    supports_lookup: bool = False
    sent: list[OutgoingSms] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)
    lookups: list[SentQuery] = field(default_factory=list)
    unsure_lookups: int = 0

    async def send(self, sms: OutgoingSms) -> Receipt:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(sms)
        return Receipt(provider_message_id=f"{self.name}-{len(self.sent)}")

    async def lookup(self, query: SentQuery) -> LookupResult:
        self.lookups.append(query)
        if self.unsure_lookups > 0:
            self.unsure_lookups -= 1
            return LookupResult("unknown", detail="provedor indisponível")
        for number, sms in enumerate(self.sent, start=1):
            if sms.idempotency_key == query.idempotency_key:
                return LookupResult("accepted", f"{self.name}-{number}")
        return LookupResult("not_found")

    async def aclose(self) -> None:
        return None


@dataclass
class Clock:
    now: datetime = TUESDAY_NOON_SP

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class Order:
    order_id: uuid.UUID
    chain_id: uuid.UUID
    branch: BranchSnapshot
    number: str
    phone: str


def branch_upserted(
    now: datetime,
    chain_id: uuid.UUID | None = None,
    *,
    state: str = "SP",
    timezone: str = "America/Sao_Paulo",
    window: SendingWindow | None = None,
) -> BranchUpserted:
    """A new branch of ``chain_id`` (a new chain when none), as intake announces it."""
    snapshot = BranchSnapshot(
        branch_id=uuid.uuid4(),
        code="SP01",
        name="Visão Clara Paulista",
        state=state,
        city="São Paulo",
        timezone=timezone,
        phone="(11) 3253-1000",
    )
    return BranchUpserted(
        occurred_at=now,
        correlation_id="t",
        chain_id=chain_id or uuid.uuid4(),
        branch=snapshot,
        sending_window=window or SendingWindow(),
    )


def order_opened(
    now: datetime,
    chain_id: uuid.UUID,
    branch: BranchSnapshot,
    *,
    phone: str = "+5511987654321",
    consent: bool = True,
    name: str = "MARIA DA SILVA",
) -> tuple[OrderOpened, Order]:
    """A new order's event, and the order as the tests refer to it."""
    order_id = uuid.uuid4()
    number = f"SP01-{order_id.int % 1_000_000:06d}"
    event = OrderOpened(
        occurred_at=now,
        correlation_id="t",
        chain_id=chain_id,
        order_id=order_id,
        order_number=number,
        branch=branch,
        service_type="teste",
        customer=CustomerSummary(name=name, phone=phone, sms_consent=consent),
        opened_at=now,
    )
    return event, Order(order_id, chain_id, branch, number, phone)


def stage_entered(
    now: datetime,
    order: Order,
    entry_sequence: int = 1,
    template: str | None = TEMPLATE,
    *,
    promised: date | None = date(2026, 12, 3),
    stage_key: str | None = None,
    sms_on_reentry: bool = False,
) -> OrderStageChanged:
    """``order`` entering its ``entry_sequence``-th stage (``etapa<n>`` unless ``stage_key``)."""
    return OrderStageChanged(
        occurred_at=now,
        correlation_id="t",
        chain_id=order.chain_id,
        order_id=order.order_id,
        order_number=order.number,
        branch_id=order.branch.branch_id,
        from_stage=None,
        to_stage=StageRef(key=stage_key or f"etapa{entry_sequence}", name="Montagem", position=0),
        entry_sequence=entry_sequence,
        entered_at=now,
        due_at=now,
        projected_completion_at=datetime(2026, 12, 1, 18, tzinfo=UTC),
        promised_date=promised,
        sms_template=template,
        sms_on_reentry=sms_on_reentry,
    )


def order_delivered(now: datetime, order: Order) -> OrderClosed:
    return OrderClosed(
        occurred_at=now,
        correlation_id="t",
        chain_id=order.chain_id,
        order_id=order.order_id,
        outcome="delivered",
        closed_at=now,
    )


def _ids() -> Iterator[uuid.UUID]:
    n = 0
    while True:
        n += 1
        yield uuid.UUID(int=n)


@dataclass
class Notifier:
    uow: FakeUnitOfWork = field(default_factory=FakeUnitOfWork)
    clock: Clock = field(default_factory=Clock)
    provider: MemoryProvider = field(default_factory=MemoryProvider)
    _new_ids: Iterator[uuid.UUID] = field(default_factory=_ids)

    def dispatcher(
        self,
        *,
        fallback: MemoryProvider | None = None,
        fallback_after: int = 2,
        jitter: float = 1.0,
        **policy: float | bool,
    ) -> DispatcherLoop:
        settings: dict[str, float | bool] = {"send_tries": 1, "retry_base_delay": 10.0}
        settings.update(policy)
        dispatch = DispatchMessages(
            self.uow,
            Providers(self.provider, fallback, fallback_after),
            self.clock,
            lambda state, years: frozenset(),
            policy=DispatchPolicy(**settings),  # type: ignore[arg-type]
            tracking_base_url="https://etapa.example/os",
            jitter=lambda: jitter,
            is_outage=lambda exc: isinstance(exc, DatabaseDown),
        )
        return DispatcherLoop(dispatch, interval=0.01, batch_size=50)

    async def branch(
        self, chain_id: uuid.UUID | None = None, *, window: SendingWindow | None = None
    ) -> tuple[uuid.UUID, BranchSnapshot]:
        event = branch_upserted(self.clock(), chain_id, window=window)
        async with self.uow() as stores:
            await keep_branch(stores, event)
        return event.chain_id, event.branch

    async def open_order(
        self,
        *,
        phone: str = "+5511987654321",
        consent: bool = True,
        chain_and_branch: tuple[uuid.UUID, BranchSnapshot] | None = None,
    ) -> Order:
        chain_id, branch = chain_and_branch or await self.branch()
        event, order = order_opened(self.clock(), chain_id, branch, phone=phone, consent=consent)
        async with self.uow() as stores:
            await keep_contact(stores, event)
        return order

    async def enter_stage(
        self,
        order: Order,
        entry_sequence: int = 1,
        template: str | None = TEMPLATE,
        *,
        stage_key: str | None = None,
        sms_on_reentry: bool = False,
    ) -> None:
        event = stage_entered(
            self.clock(),
            order,
            entry_sequence,
            template,
            stage_key=stage_key,
            sms_on_reentry=sms_on_reentry,
        )
        async with self.uow() as stores:
            await record_notification(stores, event, lambda: next(self._new_ids))

    async def close(self, order: Order) -> None:
        async with self.uow() as stores:
            await close_order(stores, order_delivered(self.clock(), order))

    def message(self, order: Order, entry_sequence: int = 1) -> dict[str, object]:
        (row,) = [
            row
            for row in self.uow.db.messages.values()
            if row.order_id == order.order_id and row.entry_sequence == entry_sequence
        ]
        return dict(vars(row))

    def published(self, order: Order) -> list[tuple[str, str | None]]:
        return [
            (event.model_dump()["status"], event.model_dump()["reason"])
            for event in self.uow.db.outbox
            if event.model_dump().get("order_id") == order.order_id
        ]
