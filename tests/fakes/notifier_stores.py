"""In-memory stores for the notifier's use cases: one :class:`FakeDatabase` (its tables as
dicts), the stores as views on it, and a unit of work that rolls back what a failed block wrote.

They are held to the same contract suites as the PostgreSQL stores
(``tests/contract/notifier``), so they cannot drift from them. Every status change goes through
``notifier.domain.lifecycle.can_move``: a move the lifecycle does not allow fails loudly here.
Not modelled: concurrency (``SKIP LOCKED``) — the contract suites run it on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from etapa_contracts.events import Event
from notifier.domain.delivery import OrderState
from notifier.domain.lifecycle import (
    ACCEPT_LANDS_ON,
    ON_ITS_WAY,
    WAITING,
    MessageState,
    born,
    can_move,
)
from notifier.usecases.ports import ReportOutcome
from notifier.usecases.records import (
    Branch,
    BranchWindow,
    ClaimedMessage,
    Contact,
    EarlyReport,
    MessageKey,
    MessageQuery,
    NewMessage,
    OptOut,
    Outcome,
    SmsSettings,
    StaffMessage,
)

DEFAULT_WINDOW = BranchWindow(time(8, 0), time(20, 0), frozenset(range(6)))


@dataclass
class MessageRow:
    """A row of ``messages``, column for column."""

    notification_id: UUID
    chain_id: UUID
    order_id: UUID
    branch_id: UUID
    order_number: str
    entry_sequence: int
    stage_key: str
    stage_name: str
    template: str
    promised_date: date | None
    forecast_date: date | None
    next_attempt_at: datetime
    tracking_token: str | None
    customer_stage_name: str | None
    status: MessageState
    status_reason: str | None
    created_at: datetime
    updated_at: datetime
    body: str | None = None
    phone: str | None = None
    provider: str | None = None
    provider_message_id: str | None = None
    attempts: int = 0
    locked_until: datetime | None = None
    sent_at: datetime | None = None
    encoding: str | None = None
    segments: int | None = None
    send_after: datetime | None = None
    delivered_at: datetime | None = None
    correlation_id: str | None = None
    trace_context: dict[str, str] | None = None

    @property
    def key(self) -> MessageKey:
        return MessageKey(
            self.notification_id,
            self.chain_id,
            self.branch_id,
            self.order_id,
            self.entry_sequence,
            self.correlation_id,
        )

    def move(self, status: MessageState) -> None:
        assert can_move(self.status, status), f"{self.status} → {status} is not a lifecycle move"
        self.status = status


@dataclass
class ProgressRow:
    chain_id: UUID
    latest_entry_sequence: int = 0
    closed_at: datetime | None = None
    outcome: str | None = None


@dataclass
class FakeDatabase:
    """The notifier's tables in memory. ``now`` stands for PostgreSQL's ``now()`` (the
    ``created_at`` of new messages)."""

    now: datetime = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    messages: dict[UUID, MessageRow] = field(default_factory=dict)
    contacts: dict[UUID, Contact] = field(default_factory=dict)
    opt_outs: list[OptOut] = field(default_factory=list)
    branches: dict[UUID, Branch] = field(default_factory=dict)
    sms_settings: dict[UUID, SmsSettings] = field(default_factory=dict)
    progress: dict[UUID, ProgressRow] = field(default_factory=dict)
    outbox: list[Event] = field(default_factory=list)
    early_reports: dict[tuple[str, str], EarlyReport] = field(default_factory=dict)


class FakeMessages:
    def __init__(self, db: FakeDatabase) -> None:
        self._db = db

    async def add(self, message: NewMessage) -> bool:
        taken = any(
            row.order_id == message.order_id and row.entry_sequence == message.entry_sequence
            for row in self._db.messages.values()
        )
        if taken:
            return False
        self._db.messages[message.notification_id] = MessageRow(
            notification_id=message.notification_id,
            chain_id=message.chain_id,
            order_id=message.order_id,
            branch_id=message.branch_id,
            order_number=message.order_number,
            entry_sequence=message.entry_sequence,
            stage_key=message.stage_key,
            stage_name=message.stage_name,
            template=message.template,
            promised_date=message.promised_date,
            forecast_date=message.forecast_date,
            next_attempt_at=message.next_attempt_at,
            tracking_token=message.tracking_token,
            customer_stage_name=message.customer_stage_name,
            status=born(message.suppressed_reason),
            status_reason=message.suppressed_reason,
            created_at=self._db.now,
            updated_at=self._db.now,
            correlation_id=message.correlation_id,
            trace_context=message.trace_context,
        )
        return True

    async def first_entry_on_its_way(
        self, order_id: UUID, stage_key: str, before_sequence: int
    ) -> int | None:
        earlier = [
            row.entry_sequence
            for row in self._db.messages.values()
            if row.order_id == order_id
            and row.stage_key == stage_key
            and row.entry_sequence < before_sequence
            and row.status in ON_ITS_WAY
        ]
        return min(earlier, default=None)

    async def claim_due(
        self, limit: int, now: datetime, lease_seconds: float
    ) -> list[ClaimedMessage]:
        due = sorted(
            (
                row
                for row in self._db.messages.values()
                if row.order_id in self._db.contacts
                and row.next_attempt_at <= now
                and (
                    row.status in WAITING
                    or (
                        row.status == "sending"
                        and row.locked_until is not None
                        and row.locked_until < now
                    )
                )
            ),
            key=lambda row: row.next_attempt_at,
        )[:limit]
        claimed = []
        for row in due:
            previous = row.status
            lost_claim = row.updated_at if previous == "sending" else None
            row.move("sending")
            row.attempts += 1
            row.locked_until = now + timedelta(seconds=lease_seconds)
            row.updated_at = now
            claimed.append(self._claimed(row, previous, lost_claim))
        return claimed

    def _claimed(
        self, row: MessageRow, previous: MessageState, lost_claim: datetime | None
    ) -> ClaimedMessage:
        contact = self._db.contacts[row.order_id]
        branch = self._db.branches.get(row.branch_id)
        progress = self._db.progress.get(row.order_id)
        settings = self._db.sms_settings.get(row.chain_id)
        opt_outs = sorted(
            (
                o
                for o in self._db.opt_outs
                if o.phone == contact.phone
                and (o.set_by_chain is None or o.set_by_chain == row.chain_id)
            ),
            key=lambda o: o.set_by_chain is not None,  # the customer's own first
        )
        assert row.locked_until is not None
        return ClaimedMessage(
            key=row.key,
            order_number=row.order_number,
            stage_name=row.stage_name,
            customer_stage_name=row.customer_stage_name,
            template=row.template,
            promised_date=row.promised_date,
            forecast_date=row.forecast_date,
            tracking_token=row.tracking_token,
            attempts=row.attempts,
            locked_until=row.locked_until,
            send_after=row.send_after,
            previous_status=previous,
            lost_claim_at=lost_claim,
            contact_chain_id=contact.chain_id,
            customer_name=contact.customer_name,
            contact_phone=contact.phone,
            sms_consent=contact.sms_consent,
            branch_name=contact.branch_name,
            branch_phone=contact.branch_phone,
            timezone=branch.timezone if branch else None,
            state=branch.state if branch else None,
            window=(branch.window or DEFAULT_WINDOW) if branch else None,
            latest_entry_sequence=progress.latest_entry_sequence if progress else None,
            order_closed=progress is not None and progress.closed_at is not None,
            later_stage_sent=any(
                other.order_id == row.order_id
                and other.entry_sequence > row.entry_sequence
                and other.status in ("sent", "delivered")
                for other in self._db.messages.values()
            ),
            opted_out_by=opt_outs[0].source if opt_outs else None,
            transliterate=settings.transliterate if settings else False,
            trace_context=row.trace_context,
        )

    def _leased(self, claim: ClaimedMessage) -> MessageRow | None:
        row = self._db.messages.get(claim.key.notification_id)
        if row is None or row.status != "sending" or row.locked_until != claim.locked_until:
            return None
        return row

    async def hold(
        self, claim: ClaimedMessage, until: datetime, reason: str, now: datetime
    ) -> bool:
        row = self._leased(claim)
        if row is None:
            return False
        row.move("held")
        row.send_after = row.next_attempt_at = until
        row.attempts -= 1
        row.status_reason = reason
        row.locked_until = None
        row.updated_at = now
        return True

    async def retry_later(
        self, claim: ClaimedMessage, provider: str, reason: str, now: datetime, due: datetime
    ) -> bool:
        row = self._leased(claim)
        if row is None:
            return False
        row.move("pending")
        row.locked_until = None
        row.provider = provider
        row.status_reason = reason
        row.updated_at = now
        row.next_attempt_at = due
        return True

    async def finish(
        self,
        claim: ClaimedMessage,
        outcome: Outcome,
        now: datetime,
        *,
        accepted: bool,
        event: Event,
    ) -> bool:
        row = self._leased(claim)
        if row is None and accepted:
            found = self._db.messages.get(claim.key.notification_id)
            row = found if found is not None and found.status in ACCEPT_LANDS_ON else None
        if row is None:
            return False
        row.move(outcome.status)
        row.status_reason = outcome.reason
        row.body = outcome.body if outcome.body is not None else row.body
        row.phone = outcome.phone
        row.provider = outcome.provider if outcome.provider is not None else row.provider
        row.provider_message_id = outcome.provider_message_id
        row.encoding = outcome.encoding
        row.segments = outcome.segments
        row.locked_until = None
        if outcome.status == "sent":
            row.sent_at = now
        row.updated_at = now
        self._db.outbox.append(event)
        return True

    async def renew_lease(
        self, claim: ClaimedMessage, now: datetime, lease_seconds: float
    ) -> datetime | None:
        row = self._leased(claim)
        if row is None:
            return None
        row.locked_until = now + timedelta(seconds=lease_seconds)
        return row.locked_until

    async def due_again_for_branch(self, branch_id: UUID, now: datetime) -> int:
        again = [
            row
            for row in self._db.messages.values()
            if row.branch_id == branch_id and row.status == "held" and row.next_attempt_at > now
        ]
        for row in again:
            row.next_attempt_at = now
        return len(again)

    async def suppress_waiting(
        self, phone: str, reason: str, now: datetime, chain_id: UUID | None
    ) -> list[MessageKey]:
        changed = []
        for row in self._db.messages.values():
            contact = self._db.contacts.get(row.order_id)
            if (
                contact is not None
                and contact.phone == phone
                and row.status in WAITING
                and (chain_id is None or row.chain_id == chain_id)
            ):
                row.move("suppressed")
                row.status_reason = reason
                row.locked_until = None
                row.updated_at = now
                changed.append(row.key)
        return changed

    async def apply_report(
        self,
        provider: str,
        provider_message_id: str,
        outcome: ReportOutcome,
        reason: str | None,
        now: datetime,
    ) -> MessageKey | None:
        for row in self._db.messages.values():
            if (
                row.provider == provider
                and row.provider_message_id == provider_message_id
                and row.status == "sent"
            ):
                row.move(outcome)
                row.updated_at = now
                if outcome == "failed":
                    row.status_reason = reason
                else:
                    row.delivered_at = now
                return row.key
        return None

    async def knows(self, provider: str, provider_message_id: str) -> bool:
        return any(
            row.provider == provider and row.provider_message_id == provider_message_id
            for row in self._db.messages.values()
        )

    async def keep_early_report(self, report: EarlyReport, keep_since: datetime) -> None:
        kept = self._db.early_reports
        key = (report.provider, report.provider_message_id)
        taken = key in kept  # as PostgreSQL: the insert sees the rows the drop removes
        for old in [old for old, row in kept.items() if row.received_at < keep_since]:
            del kept[old]
        if not taken:
            kept[key] = report

    async def early_reports_due(self, limit: int) -> list[EarlyReport]:
        sent = {
            (row.provider, row.provider_message_id)
            for row in self._db.messages.values()
            if row.status == "sent"
        }
        due = [report for key, report in self._db.early_reports.items() if key in sent]
        return sorted(due, key=lambda report: report.received_at)[:limit]

    async def take_early_report(self, report: EarlyReport) -> bool:
        key = (report.provider, report.provider_message_id)
        return self._db.early_reports.pop(key, None) is not None

    async def for_staff(self, query: MessageQuery) -> list[StaffMessage]:
        def midnight(day: date) -> datetime:
            return datetime.combine(day, time(0), tzinfo=UTC)

        rows = [
            row
            for row in self._db.messages.values()
            if row.chain_id == query.chain_id
            and (query.order_id is None or row.order_id == query.order_id)
            and (query.branches is None or row.branch_id in query.branches)
            and (query.branch is None or row.branch_id == query.branch)
            and (query.status is None or row.status == query.status)
            and (query.created_from is None or row.created_at >= midnight(query.created_from))
            and (
                query.created_to is None
                or row.created_at < midnight(query.created_to) + timedelta(days=1)
            )
        ]
        rows.sort(key=lambda row: str(row.notification_id))
        rows.sort(key=lambda row: row.created_at, reverse=True)
        return [self._staff(row) for row in rows[query.offset : query.offset + query.limit]]

    def _staff(self, row: MessageRow) -> StaffMessage:
        contact = self._db.contacts.get(row.order_id)
        contact_phone = contact.phone if contact and contact.chain_id == row.chain_id else None
        progress = self._db.progress.get(row.order_id)
        return StaffMessage(
            notification_id=row.notification_id,
            chain_id=row.chain_id,
            order_id=row.order_id,
            branch_id=row.branch_id,
            order_number=row.order_number,
            entry_sequence=row.entry_sequence,
            stage_key=row.stage_key,
            stage_name=row.stage_name,
            body=row.body,
            shown_phone=row.phone or contact_phone,
            status=row.status,
            status_reason=row.status_reason,
            provider=row.provider,
            attempts=row.attempts,
            encoding=row.encoding,
            segments=row.segments,
            send_after=row.send_after,
            created_at=row.created_at,
            sent_at=row.sent_at,
            delivered_at=row.delivered_at,
            updated_at=row.updated_at,
            progress=OrderState(
                entry_sequence=row.entry_sequence,
                latest_entry_sequence=progress.latest_entry_sequence if progress else None,
                closed=progress is not None and progress.closed_at is not None,
            ),
        )


class FakeConsent:
    def __init__(self, db: FakeDatabase) -> None:
        self._db = db

    async def keep_contact(self, contact: Contact) -> None:
        known = self._db.contacts.get(contact.order_id)
        if known is None:
            self._db.contacts[contact.order_id] = contact
        elif known.updated_at < contact.updated_at and known.chain_id == contact.chain_id:
            self._db.contacts[contact.order_id] = replace(
                known,
                customer_name=contact.customer_name,
                phone=contact.phone,
                sms_consent=contact.sms_consent,
                updated_at=contact.updated_at,
            )

    async def copy_contact(
        self, from_order: UUID, chain_id: UUID, order_id: UUID, order_number: str, at: datetime
    ) -> None:
        source = self._db.contacts.get(from_order)
        if source is None or source.chain_id != chain_id or order_id in self._db.contacts:
            return
        self._db.contacts[order_id] = replace(
            source, order_id=order_id, order_number=order_number, updated_at=at
        )

    async def contact_chain(self, order_id: UUID) -> UUID | None:
        contact = self._db.contacts.get(order_id)
        return contact.chain_id if contact else None

    async def is_customer(
        self, phone: str, chain_id: UUID, branches: frozenset[UUID] | None
    ) -> bool:
        return any(
            c.phone == phone
            and c.chain_id == chain_id
            and (branches is None or c.branch_id in branches)
            for c in self._db.contacts.values()
        )

    async def add_opt_out(self, opt_out: OptOut) -> bool:
        if any(
            o.phone == opt_out.phone and o.set_by_chain == opt_out.set_by_chain
            for o in self._db.opt_outs
        ):
            return False
        self._db.opt_outs.append(opt_out)
        return True

    async def remove_opt_out(self, phone: str, chain_id: UUID | None) -> bool:
        kept = [
            o for o in self._db.opt_outs if not (o.phone == phone and o.set_by_chain == chain_id)
        ]
        removed = len(kept) < len(self._db.opt_outs)
        self._db.opt_outs[:] = kept
        return removed

    async def staff_opt_out(self, phone: str, chain_id: UUID) -> OptOut | None:
        return next(
            (o for o in self._db.opt_outs if o.phone == phone and o.set_by_chain == chain_id),
            None,
        )

    async def visible_opt_outs(
        self,
        chain_id: UUID,
        branches: frozenset[UUID] | None,
        phone: str | None,
        limit: int,
        offset: int,
    ) -> list[OptOut]:
        def customer(number: str) -> bool:
            return any(
                c.phone == number
                and c.chain_id == chain_id
                and (branches is None or c.branch_id in branches)
                for c in self._db.contacts.values()
            )

        visible = [
            o
            for o in self._db.opt_outs
            if (phone is None or o.phone == phone)
            and (
                (o.set_by_chain == chain_id and (branches is None or customer(o.phone)))
                or (o.set_by_chain is None and customer(o.phone))
            )
        ]
        visible.sort(key=lambda o: o.phone)
        visible.sort(key=lambda o: o.opted_out_at, reverse=True)
        visible.sort(key=lambda o: o.set_by_chain is None)
        return visible[offset : offset + limit]


class FakeSettings:
    def __init__(self, db: FakeDatabase) -> None:
        self._db = db

    async def keep_branch(self, branch: Branch) -> bool:
        known = self._db.branches.get(branch.branch_id)
        if known is not None and (
            known.chain_id != branch.chain_id or known.updated_at > branch.updated_at
        ):
            return False
        self._db.branches[branch.branch_id] = branch
        return True

    async def ensure_branch(self, branch: Branch) -> None:
        if branch.branch_id not in self._db.branches:
            at = branch.updated_at
            self._db.branches[branch.branch_id] = replace(
                branch, window=DEFAULT_WINDOW, updated_at=at.replace(year=at.year - 100)
            )

    async def branch_chain(self, branch_id: UUID) -> UUID | None:
        branch = self._db.branches.get(branch_id)
        return branch.chain_id if branch else None

    async def sms_settings(self, chain_id: UUID) -> SmsSettings | None:
        return self._db.sms_settings.get(chain_id)

    async def save_sms_settings(self, settings: SmsSettings) -> SmsSettings:
        self._db.sms_settings[settings.chain_id] = settings
        return settings


class FakeOrderProgress:
    def __init__(self, db: FakeDatabase) -> None:
        self._db = db

    async def note_entry(self, chain_id: UUID, order_id: UUID, entry_sequence: int) -> None:
        known = self._db.progress.get(order_id)
        if known is None:
            self._db.progress[order_id] = ProgressRow(chain_id, entry_sequence)
        elif known.chain_id == chain_id:
            known.latest_entry_sequence = max(known.latest_entry_sequence, entry_sequence)

    async def note_closed(
        self, chain_id: UUID, order_id: UUID, closed_at: datetime, outcome: str
    ) -> None:
        known = self._db.progress.get(order_id)
        if known is None:
            self._db.progress[order_id] = ProgressRow(chain_id, 0, closed_at, outcome)
        elif known.chain_id == chain_id:
            known.closed_at, known.outcome = closed_at, outcome

    async def order_chain(self, order_id: UUID) -> UUID | None:
        known = self._db.progress.get(order_id)
        return known.chain_id if known else None


@dataclass
class FakeOutbox:
    db: FakeDatabase

    async def enqueue(self, event: Event) -> None:
        self.db.outbox.append(event)


@dataclass
class FakeStores:
    db: FakeDatabase
    messages: FakeMessages = field(init=False)
    consent: FakeConsent = field(init=False)
    settings: FakeSettings = field(init=False)
    progress: FakeOrderProgress = field(init=False)
    outbox: FakeOutbox = field(init=False)

    def __post_init__(self) -> None:
        self.messages = FakeMessages(self.db)
        self.consent = FakeConsent(self.db)
        self.settings = FakeSettings(self.db)
        self.progress = FakeOrderProgress(self.db)
        self.outbox = FakeOutbox(self.db)


@dataclass
class FakeUnitOfWork:
    """``async with uow() as stores``: what the block wrote is undone when it raises.

    ``fail_next``: errors the next transactions raise when they commit, one each (a database
    outage, say), after the block ran — so what it wrote is rolled back; a None in the list
    lets that transaction commit.
    """

    db: FakeDatabase = field(default_factory=FakeDatabase)
    fail_next: list[BaseException | None] = field(default_factory=list)

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[FakeStores]:
        saved = copy.deepcopy(self._tables())
        try:
            yield FakeStores(self.db)
            if self.fail_next:
                error = self.fail_next.pop(0)
                if error is not None:
                    raise error
        except BaseException:
            self._restore(saved)
            raise

    def each_statement(self) -> contextlib.AbstractAsyncContextManager[FakeStores]:
        """As a transaction here: the fake's single writes are all or nothing alike, and
        ``fail_next`` fails the statement's block the same way."""
        return self()

    def _tables(self) -> dict[str, object]:
        return {name: getattr(self.db, name) for name in _TABLES}

    def _restore(self, saved: dict[str, object]) -> None:
        for name, value in saved.items():
            setattr(self.db, name, value)


_TABLES = (
    "messages",
    "contacts",
    "opt_outs",
    "branches",
    "sms_settings",
    "progress",
    "outbox",
    "early_reports",
)
