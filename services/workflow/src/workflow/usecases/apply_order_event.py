"""Apply intake's order events (opening, staff action, lab status): turn each into an engine
call, record what is refused.

Each use case runs inside the consumer's transaction (with the inbox claim). An action or lab
status that the order does not accept is never an error: its reason goes on the timeline and
the message is acknowledged.

**In the order accepted.** Intake numbers an order's events (``order_seq``: the opening is 1,
each action or lab status the next). An action or lab status is applied only when it is the
next one (``orders.applied_seq`` + 1); one that arrives early — before its opening, or before
an earlier action still in a queue or being redelivered — is *parked* in
``parked_order_events`` and acknowledged (its inbox claim and its parking commit together, so
it burns no delivery attempt). The transaction that applies the missing event applies the
parked ones after it, in sequence. Every sequenced handler first takes the order's advisory
lock, so replicas handle one order one transaction at a time. An event without ``order_seq``
(from an intake that predates it) is applied on arrival, and one for an order not known yet
raises so that it is redelivered later, as before.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from etapa_contracts.events import (
    BranchUpserted,
    Event,
    LabStatus,
    OrderAction,
    OrderOpened,
    UserUpserted,
)
from shared.logging import get_logger
from workflow.domain.order_actions import (
    AddNote,
    Advance,
    ApplyLabStatus,
    Assign,
    Back,
    Cancel,
    Command,
    Deliver,
    Pause,
    Reopen,
    Resume,
)
from workflow.domain.order_machine import VERBS
from workflow.domain.records import LabUpdate, NewOrder, StaffMember, StoredOrder, TimelineEntry
from workflow.usecases.order_engine import OrderEngine
from workflow.usecases.ports import Stores

log = get_logger(__name__)


class OrderEvents:
    def __init__(self, engine: OrderEngine) -> None:
        self._engine = engine

    async def on_user_upserted(self, stores: Stores, event: UserUpserted) -> None:
        """Keep the workflow's copy of a person (name, role, branches, active)."""
        await stores.staff.upsert(
            StaffMember(
                user_id=event.user_id,
                chain_id=event.chain_id,
                name=event.name,
                role=event.role,
                branch_ids=frozenset(event.branch_ids),
                active=event.active,
                updated_at=event.occurred_at,
            )
        )

    async def on_branch_upserted(self, stores: Stores, event: BranchUpserted) -> None:
        """Keep the workflow's copy of a branch (its state, city and time zone, and the city's
        holiday list the chain imported)."""
        await stores.branches.upsert(event.chain_id, event.branch, event.occurred_at)

    async def on_order_opened(self, stores: Stores, event: OrderOpened) -> None:
        """Place a new order in the first stage of its service type's latest flow."""
        await stores.sequence.lock(event.order_id)
        branch = await stores.branches.ensure(event.chain_id, event.branch, event.occurred_at)
        new = NewOrder(
            order_id=event.order_id,
            chain_id=event.chain_id,
            branch_id=event.branch.branch_id,
            number=event.order_number,
            service_type=event.service_type,
            customer_name=event.customer.name,
            lab_code=event.lab_code,
            promised_date=event.promised_date,
            opened_at=event.opened_at,
            customer_phone=event.customer.phone,
            confirm_before_proposal=event.confirm_before_proposal,
        )
        inserted = await self._engine.open(
            stores,
            new,
            branch,
            actor=event.opened_by or "balcão",
            summary=f"OS {event.order_number} aberta",
            correlation_id=event.correlation_id,
        )
        # A new order's applied sequence is its opening's (1); a replayed opening reads it.
        await self._apply_parked(stores, event.chain_id, event.order_id, 1 if inserted else None)

    async def on_order_action(self, stores: Stores, event: OrderAction) -> None:
        """A staff action: advance, back, pause, resume, assign, note, cancel, deliver, reopen."""
        await self._in_order(stores, event)

    async def on_lab_status(self, stores: Stores, event: LabStatus) -> None:
        """A lab's status: moves the order as its flow maps it, updates the lab forecast."""
        await self._in_order(stores, event)

    async def _in_order(self, stores: Stores, event: OrderAction | LabStatus) -> None:
        """Apply ``event`` if it is the order's next one (then any parked after it); park it
        if it is early; drop it if its sequence was applied already."""
        seq = event.order_seq
        if seq is None:
            await self._apply(stores, event)
            return
        await stores.sequence.lock(event.order_id)
        # The order and its sequence in one read, under the lock (the engine's first read too).
        order = await stores.orders.load(event.chain_id, event.order_id)
        if order is None or seq > order.applied_seq + 1:
            if await stores.sequence.park(event, event.order_id, seq):
                log.info(
                    "order_event_parked",
                    order_id=str(event.order_id),
                    order_seq=seq,
                    waiting_for=1 if order is None else order.applied_seq + 1,
                )
            return
        if seq <= order.applied_seq:
            log.warning(
                "order_event_already_applied",
                order_id=str(event.order_id),
                order_seq=seq,
                message_id=str(event.message_id),
            )
            return
        if not await self._apply(stores, event, order, seq):
            await stores.sequence.set_applied(event.order_id, seq)
        if order.parked_events:  # read with the order, under its lock
            await self._apply_parked(stores, event.chain_id, event.order_id, seq)

    async def _apply_parked(
        self, stores: Stores, chain_id: UUID, order_id: UUID, applied: int | None = None
    ) -> None:
        """Apply the order's parked events that are now next, in sequence (``applied``: the
        last applied, when the caller knows it)."""
        if applied is None:
            applied = await stores.sequence.applied_seq(chain_id, order_id)
        if applied is None:
            return
        while parked := await stores.sequence.take(chain_id, order_id, applied + 1):
            event = _PARKABLE[parked.routing_key].model_validate(parked.payload)
            assert isinstance(event, OrderAction | LabStatus)
            applied += 1
            if not await self._apply(stores, event, seq=applied):
                await stores.sequence.set_applied(order_id, applied)
            log.info("parked_order_event_applied", order_id=str(order_id), order_seq=applied)

    async def _apply(
        self,
        stores: Stores,
        event: OrderAction | LabStatus,
        order: StoredOrder | None = None,
        seq: int | None = None,
    ) -> bool:
        """Apply ``event`` to ``order`` (as read in this transaction; None: read it). True
        when a decision was stored, with ``seq`` as the order's applied sequence."""
        if isinstance(event, OrderAction):
            return await self._order_action(stores, event, order, seq)
        return await self._lab_status(stores, event, order, seq)

    async def _order_action(
        self, stores: Stores, event: OrderAction, order: StoredOrder | None, seq: int | None
    ) -> bool:
        command = command_from_action(event)
        outcome = await self._engine.apply(
            stores,
            event.chain_id,
            event.order_id,
            command,
            when=event.requested_at,
            correlation_id=event.correlation_id,
            expected_version=event.expected_version,
            loaded=order,
            applied_seq=seq,
        )
        if outcome.refused is None:
            return outcome.decision is not None
        log.info(
            "order_action_refused",
            order_id=str(event.order_id),
            order_number=outcome.order.number,
            action=event.action,
            reason=outcome.refused,
        )
        await stores.orders.add_timeline(
            TimelineEntry(
                chain_id=event.chain_id,
                order_id=event.order_id,
                occurred_at=event.requested_at,
                actor=event.actor,
                kind="action_refused",
                summary=f"Ação “{VERBS[type(command)]}” recusada: {outcome.refused}",
                detail={"action": event.action, "reason": outcome.refused},
            )
        )
        return False

    async def _lab_status(
        self, stores: Stores, event: LabStatus, order: StoredOrder | None, seq: int | None
    ) -> bool:
        if order is None:
            order = await stores.orders.load(event.chain_id, event.order_id)
        if order is None:
            raise LookupError(f"order {event.order_id} not known yet; redeliver later")
        refused: str | None
        written = False
        if order.lab_code is not None and order.lab_code != event.lab_code:
            refused = (
                f"O laboratório {event.lab_code} não atende esta OS "
                f"(laboratório {order.lab_code}); ignorado."
            )
        else:
            # A lab's clock (or typo) can put a status in the future; it counts from receipt.
            reported_at = min(_not_before_lookback(event), event.occurred_at)
            command = ApplyLabStatus(event.status, event.eta, reported_at)
            outcome = await self._engine.apply(
                stores,
                event.chain_id,
                event.order_id,
                command,
                when=reported_at,
                correlation_id=event.correlation_id,
                loaded=order,
                applied_seq=seq,
            )
            refused = outcome.refused
            written = outcome.decision is not None
        await stores.orders.add_lab_update(
            LabUpdate(
                chain_id=event.chain_id,
                order_id=event.order_id,
                lab_code=event.lab_code,
                status=event.status,
                eta=event.eta,
                reported_at=_not_before_lookback(event),
                received_at=event.occurred_at,
                applied=refused is None,
                note=refused,
            )
        )
        if refused is not None:
            log.info(
                "lab_status_ignored",
                order_id=str(event.order_id),
                order_number=order.number,
                lab_code=event.lab_code,
                status=event.status,
                reason=refused,
            )
            await stores.orders.add_timeline(
                TimelineEntry(
                    chain_id=event.chain_id,
                    order_id=event.order_id,
                    occurred_at=event.occurred_at,
                    actor=f"laboratório {event.lab_code}",
                    kind="lab_status_ignored",
                    summary=refused,
                    detail={"status": event.status, "reported_at": event.reported_at.isoformat()},
                )
            )
        return written


_PARKABLE: dict[str, type[Event]] = {
    OrderAction.routing_key(): OrderAction,
    LabStatus.routing_key(): LabStatus,
}


def command_from_action(action: OrderAction) -> Command:
    """The machine's command for a staff action; a missing text is blank, which it refuses."""
    actor, reason = action.actor, action.reason or ""
    match action.action:
        case "advance":
            return Advance(actor, action.target_stage)
        case "back":
            return Back(actor, reason)
        case "pause":
            return Pause(actor, reason)
        case "resume":
            return Resume(actor)
        case "assign":
            assignee_id = str(action.assignee_id) if action.assignee_id else None
            return Assign(actor, action.assignee or "", assignee_id)
        case "note":
            return AddNote(actor, action.note or reason)
        case "cancel":
            return Cancel(actor, reason)
        case "deliver":
            return Deliver(actor)
        case "reopen":
            return Reopen(actor, reason, action.reopen_kind or "remake")


LAB_LOOKBACK = timedelta(days=366)
"""Intake refuses lab times over 30 days old (``INTAKE_LAB_TIME_PAST_DAYS``); an event that
still carries an older one counts as this far back, never as year 1: 0001-01-01 UTC was stored
as -infinity and every later status of the order failed comparing it (issue 15, item 5)."""


def _not_before_lookback(event: LabStatus) -> datetime:
    return max(event.reported_at, event.occurred_at - LAB_LOOKBACK)
