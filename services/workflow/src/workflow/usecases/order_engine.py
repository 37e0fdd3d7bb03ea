"""The order engine's shell: load an order, ask the pure machine, store what it decided.

Everything runs in the caller's transaction (a consumer's, with its inbox claim), so the new
state, its history, its timeline and the events to publish commit together or not at all.

- **Concurrency.** A decision is saved with ``UPDATE … WHERE version = $n``. When another
  action changed the order first, the engine reloads it and decides again (up to
  ``MAX_CONFLICTS`` times, then the message is redelivered): two actions never both apply to
  the same stale state. (In a consumer batch the store sends the save with the batch's other
  writes before the commit; a conflict found there rolls the batch back, and its messages
  are applied one by one, each with this retry: ``adapters.postgres.orders``.)
- **The state it was made on.** An action that carries ``expected_version`` (the order's
  version the person saw) is refused, with ``STALE_VERSION`` on the timeline, when the order's
  version differs: twenty clicks on "advance" made on one view move the order one stage.
- **Time.** An action takes effect at its ``requested_at`` (a lab status at its
  ``reported_at``), but never before the order's latest stage entry or stop, so a late message
  cannot rewrite the past. Risk is assessed against the clock.
- **Risk** is assessed right after every applied decision and at opening; a changed level is
  stored, put on the timeline and published as ``order.risk_changed.v1``. A decision's risk
  is written in the same statement as its state (no separate locked read and update).
- **Round trips.** The caller's read of the order (with its sequence) is the engine's first
  one; the timeline entries of a decision are added together; flow versions and branches
  come from the process's caches (``adapters.postgres.read_cache``).
- **Reopen** opens a new order in workflow, ``<number>-R<n>``, in the latest flow of the same
  service type, linked both ways (``reopened_from``); its stage changes carry
  ``reopened_from`` so the notifier can find the customer. The same transaction publishes
  ``order.remake_opened.v1``, from which intake registers the new order.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from etapa_contracts.events import OrderRiskChanged, RemakeOpened
from shared.clock import Clock
from shared.logging import get_logger
from shared.metrics import RISK_TRANSITIONS
from workflow.domain.calendar import BranchCalendar
from workflow.domain.flow import FlowVersion
from workflow.domain.order_actions import (
    ApplyLabStatus,
    Cancelled,
    Command,
    Delivered,
    ReopenRequested,
    Resumed,
    StageEntered,
)
from workflow.domain.order_clock import as_of
from workflow.domain.order_machine import ActionRefused, Decision, OrderState, decide
from workflow.domain.order_state import EmptyFlow, open_order
from workflow.domain.order_texts import REOPEN_LABELS, describe
from workflow.domain.records import Branch, NewOrder, RiskUpdate, StoredOrder, TimelineEntry
from workflow.domain.responsibles import assign_on_entry
from workflow.domain.risk import RiskLevel, assess_risk
from workflow.usecases.outgoing import closed_event, stage_changed_event
from workflow.usecases.ports import Calendars, Stores

log = get_logger(__name__)

MAX_CONFLICTS = 10
STALE_VERSION = "A OS mudou desde que você a viu; recarregue e tente de novo."
TRACKING_TOKEN_BYTES = 8
"""64 random bits: 11 URL-safe characters, far beyond guessing at any request rate."""
_RISK_LABELS = {
    RiskLevel.ON_TRACK: "De volta ao prazo",
    RiskLevel.AT_RISK: "Em risco",
    RiskLevel.OVERDUE: "Atrasada",
}


@dataclass(frozen=True, slots=True)
class Outcome:
    order: StoredOrder
    decision: Decision | None
    refused: str | None = None


class OrderEngine:
    def __init__(
        self,
        calendars: Calendars,
        clock: Clock,
        risk_share: float,
        *,
        new_id: Callable[[], UUID],
    ) -> None:
        """``new_id`` gives a remake's order id (``uuid4`` in production)."""
        self._calendars = calendars
        self._clock = clock
        self._risk_share = risk_share
        self._new_id = new_id

    async def open(
        self,
        stores: Stores,
        new: NewOrder,
        branch: Branch,
        *,
        actor: str,
        summary: str,
        correlation_id: str,
    ) -> bool:
        """Place a new order in the first stage of its service type's latest flow."""
        flow = await stores.flows.latest(new.chain_id, new.service_type)
        decision: Decision | None = None
        problem: str | None = None
        if flow is None:
            problem = f"tipo de OS desconhecido: {new.service_type!r}"
        elif not await stores.flows.is_active(new.chain_id, new.service_type):
            problem = f"o tipo de OS {new.service_type!r} está desativado"
            flow = None
        else:
            calendar = self._calendars.for_branch(branch, new.opened_at)
            try:
                decision = open_order(
                    flow,
                    calendar,
                    new.opened_at,
                    new.promised_date,
                    new.confirm_before_proposal,
                )
                defaults = await stores.staff.defaults_for(
                    new.chain_id, new.service_type, new.branch_id
                )
                decision = assign_on_entry(decision, defaults)
            except EmptyFlow:
                problem = f"o tipo de OS {new.service_type!r} não tem etapas"
        entered = decision.events[0] if decision else None
        inserted = await stores.orders.insert(
            new,
            decision.state if decision else None,
            tracking_token=new_tracking_token(),
            due_explanation=entered.deadline.describe()
            if isinstance(entered, StageEntered)
            else None,
            projection_reason=decision.state.projection_reason(flow) if decision and flow else None,
            status_reason=problem,
            now=self._clock(),
        )
        if not inserted:
            return False
        await stores.orders.add_timeline(
            TimelineEntry(
                chain_id=new.chain_id,
                order_id=new.order_id,
                occurred_at=new.opened_at,
                actor=actor,
                kind="opened",
                summary=summary + (f"; {problem}" if problem else ""),
            )
        )
        if decision is None or flow is None:
            log.warning(
                "order_needs_attention",
                order_id=str(new.order_id),
                order_number=new.number,
                reason=problem,
            )
            return True
        stored = await stores.orders.load(new.chain_id, new.order_id)
        assert stored is not None
        await self._record(stores, stored, flow, calendar, decision, new.opened_at, correlation_id)
        return True

    async def apply(
        self,
        stores: Stores,
        chain_id: UUID,
        order_id: UUID,
        command: Command,
        *,
        when: datetime,
        correlation_id: str,
        expected_version: int | None = None,
        loaded: StoredOrder | None = None,
        applied_seq: int | None = None,
    ) -> Outcome:
        """Decide ``command`` on the order's current state and store the decision.

        With ``expected_version`` (the version the person saw), an order that has changed
        since is not acted on: the outcome is a refusal saying so. ``loaded``: the order as
        the caller read it in this transaction (a conflict reads it again). ``applied_seq``
        is written with the decision (not with a refusal: the outcome has no decision then).
        The new state's risk is written in the same statement as the state.
        """
        order = loaded
        for _ in range(MAX_CONFLICTS):
            if order is None:
                order = await stores.orders.load(chain_id, order_id)
            if order is None:
                raise LookupError(f"order {order_id} not known yet; redeliver later")
            state = order.state
            if state is None:
                reason = "A OS não tem um fluxo de etapas válido; não aceita ações."
                return Outcome(order, None, reason)
            if expected_version is not None and state.version != expected_version:
                return Outcome(order, None, STALE_VERSION)
            flow = await stores.flows.for_order(chain_id, order.service_type, state.flow_version)
            now = _not_before(min(when, self._clock()), state)
            calendar = self._calendars.for_branch(order.branch, now)
            try:
                decision = decide(state, command, flow, calendar, now)
            except ActionRefused as refused:
                return Outcome(order, None, refused.reason)
            if any(isinstance(e, StageEntered) for e in decision.events):
                defaults = await stores.staff.defaults_for(
                    chain_id, order.service_type, order.branch_id
                )
                decision = assign_on_entry(decision, defaults)
            explanation = next(
                (e.deadline.describe() for e in decision.events if isinstance(e, StageEntered)),
                None,
            )
            addendum = next(
                (e.credit.describe() for e in decision.events if isinstance(e, Resumed)), None
            )
            risk = self._risk_of(order, decision.state, flow) if decision.state.is_open else None
            saved = await stores.orders.save_state(
                order_id,
                decision.state,
                state.version,
                now=now,
                due_explanation=explanation,
                due_explanation_addendum=addendum,
                projection_reason=decision.state.projection_reason(flow),
                closed=state.is_open and not decision.state.is_open,
                risk=risk,
                applied_seq=applied_seq,
            )
            if saved:
                by = (
                    f"laboratório {order.lab_code or ''}".strip()
                    if isinstance(command, ApplyLabStatus)
                    else command.actor
                )
                await self._record(
                    stores, order, flow, calendar, decision, now, correlation_id, by=by, risk=risk
                )
                return Outcome(order, decision)
            log.info("order_version_conflict_retrying", order_id=str(order_id))
            order = None
        raise RuntimeError(f"order {order_id}: {MAX_CONFLICTS} version conflicts in a row")

    async def assess(
        self,
        stores: Stores,
        order: StoredOrder,
        state: OrderState,
        flow: FlowVersion,
        correlation_id: str | None = None,
    ) -> None:
        """Assess the open order's risk now; store it, and publish a changed level.

        ``correlation_id``: the order's, when a decision on it is assessed (the sweeper has
        none: ``risk-<order id>``)."""
        now = self._clock()
        calendar = self._calendars.for_branch(order.branch, now)
        assessment = assess_risk(state, flow, calendar, now, self._risk_share)
        previous = await stores.orders.set_risk(order.order_id, assessment, now)
        entry = await self._risk_changed(
            stores, order, RiskUpdate(assessment, previous, now), correlation_id
        )
        if entry is not None:
            await stores.orders.add_timeline(entry)

    def _risk_of(self, order: StoredOrder, state: OrderState, flow: FlowVersion) -> RiskUpdate:
        """The risk of ``state`` now, to be written with it (replacing ``order``'s level)."""
        now = self._clock()
        calendar = self._calendars.for_branch(order.branch, now)
        assessment = assess_risk(state, flow, calendar, now, self._risk_share)
        return RiskUpdate(assessment, order.risk_level, now)

    async def _risk_changed(
        self,
        stores: Stores,
        order: StoredOrder,
        risk: RiskUpdate,
        correlation_id: str | None,
    ) -> TimelineEntry | None:
        """A changed level is published (outbox), logged and counted; its timeline entry is
        returned for the caller to add. None when the level did not change."""
        assessment, previous, now = risk.assessment, risk.previous, risk.at
        if previous == assessment.level:
            return None
        correlation_id = correlation_id or f"risk-{order.order_id}"
        await stores.outbox.enqueue(
            OrderRiskChanged(
                occurred_at=now,
                correlation_id=correlation_id,
                chain_id=order.chain_id,
                order_id=order.order_id,
                branch_id=order.branch_id,
                level=assessment.level.value,
                reason=assessment.reason,
            ),
        )
        log.info(
            "order_risk_changed",
            order_id=str(order.order_id),
            order_number=order.number,
            risk=assessment.level.value,  # not ``level``: the log line's own level
            previous=previous,
            reason=assessment.reason,
            correlation_id=correlation_id,
        )
        RISK_TRANSITIONS.labels(
            service="workflow", from_level=previous or "none", to_level=assessment.level.value
        ).inc()
        return TimelineEntry(
            chain_id=order.chain_id,
            order_id=order.order_id,
            occurred_at=now,
            actor="sistema",
            kind="risk_changed",
            summary=f"{_RISK_LABELS[assessment.level]}: {assessment.reason}",
            detail={"level": assessment.level.value, "previous": previous},
        )

    async def _record(
        self,
        stores: Stores,
        order: StoredOrder,
        flow: FlowVersion,
        calendar: BranchCalendar,
        decision: Decision,
        now: datetime,
        correlation_id: str,
        *,
        by: str | None = None,
        risk: RiskUpdate | None = None,
    ) -> None:
        """Store the decision's effects; ``by`` (who acted) is the actor of stage entries.

        ``risk``: the new state's risk, already written with it (else it is assessed and
        written here). The timeline entries are added together at the end, in order."""
        entries: list[TimelineEntry] = []
        leaves_stage = any(
            isinstance(e, StageEntered | Delivered | Cancelled) for e in decision.events
        )
        previous = order.state
        if leaves_stage and previous is not None and previous.paused_at is not None:
            # The stage being left had its clock stopped (paused, or a stage that waits for the
            # customer): its due time moves by what that stop gave back, so analytics do not
            # count it late.
            moved = as_of(previous, flow, calendar, now).stage_due_at
            await stores.orders.move_stage_due(order.order_id, moved)
        for event in decision.events:
            note = describe(event, order.lab_code)
            summary = note.summary
            detail = dict(note.detail)
            if isinstance(event, StageEntered):
                await stores.orders.enter_stage(order.chain_id, order.order_id, event)
                await stores.outbox.enqueue(
                    stage_changed_event(order, event, decision.state, correlation_id)
                )
                log.info(
                    "order_stage_entered",
                    correlation_id=correlation_id,
                    order_id=str(order.order_id),
                    order_number=order.number,
                    stage=event.to_stage.key,
                    from_stage=event.from_stage.key if event.from_stage else None,
                    entry_sequence=event.entry_sequence,
                    due_at=event.deadline.due_at.isoformat(),
                )
            elif isinstance(event, Resumed):
                await stores.orders.move_stage_due(order.order_id, event.stage_due_at)
            elif isinstance(event, Delivered | Cancelled):
                await stores.orders.close_stage(order.order_id, now)
                await stores.outbox.enqueue(
                    closed_event(order, decision.state, now, correlation_id)
                )
                log.info(
                    "order_closed",
                    correlation_id=correlation_id,
                    order_id=str(order.order_id),
                    order_number=order.number,
                    outcome="delivered" if isinstance(event, Delivered) else "cancelled",
                )
            elif isinstance(event, ReopenRequested):
                number, remake_id = await self._open_remake(stores, order, event, correlation_id)
                summary += f" → OS {number}"
                detail.update(remake_order_id=str(remake_id), remake_number=number)
            entries.append(
                TimelineEntry(
                    chain_id=order.chain_id,
                    order_id=order.order_id,
                    occurred_at=now,
                    actor=(by or note.actor) if isinstance(event, StageEntered) else note.actor,
                    kind=note.kind,
                    summary=summary,
                    detail=detail,
                )
            )
        if risk is not None and (
            entry := await self._risk_changed(stores, order, risk, correlation_id)
        ):
            entries.append(entry)
        await stores.orders.add_timelines(entries)
        if risk is None and decision.state.is_open:
            await self.assess(stores, order, decision.state, flow, correlation_id)

    async def _open_remake(
        self,
        stores: Stores,
        original: StoredOrder,
        requested: ReopenRequested,
        correlation_id: str,
    ) -> tuple[str, UUID]:
        number = await stores.orders.next_remake_number(original)
        label = REOPEN_LABELS[requested.kind]
        new = NewOrder(
            order_id=self._new_id(),
            chain_id=original.chain_id,
            branch_id=original.branch_id,
            number=number,
            service_type=original.service_type,
            customer_name=original.customer_name,
            lab_code=original.lab_code,
            promised_date=None,
            opened_at=requested.requested_at,
            reopened_from=original.order_id,
            reopen_kind=requested.kind,
        )
        await self.open(
            stores,
            new,
            original.branch,
            actor=requested.actor,
            summary=f"OS {number} aberta como {label} da OS {original.number}: {requested.reason}",
            correlation_id=correlation_id,
        )
        await stores.outbox.enqueue(  # intake registers it (same transaction as the opening)
            RemakeOpened(
                occurred_at=requested.requested_at,
                correlation_id=correlation_id,
                chain_id=original.chain_id,
                order_id=new.order_id,
                order_number=number,
                branch_id=original.branch_id,
                reopened_from=original.order_id,
                reopen_kind=requested.kind,
                opened_at=requested.requested_at,
            )
        )
        return number, new.order_id


def new_tracking_token() -> str:
    """A fresh token for the customer's link: random (``secrets``), unrelated to the order id.

    Every order gets its own, a remake or warranty order too. A replayed ``order.opened``
    inserts nothing, so an order keeps the token it was first given.
    """
    return secrets.token_urlsafe(TRACKING_TOKEN_BYTES)


def _not_before(when: datetime, state: OrderState) -> datetime:
    """An action takes effect at ``when``, but never before the order's last move."""
    floor = max(state.stage_entered_at, state.paused_at or state.stage_entered_at)
    return max(when, floor)
