"""What the use cases need from the outside, as Protocols: the stores, the outbox, the SMS
providers. ``adapters/`` implements them on PostgreSQL and over HTTP; ``tests/fakes/`` in memory,
held to the same contract suites (``tests/contract/notifier``).

A :class:`UnitOfWork` opens one transaction and lends its :class:`Stores`: everything written
through them (and the events enqueued) commits together or not at all. Its ``each_statement``
lends them with no transaction, for a use case whose one write is one statement that stores its
event with it (the dispatcher's claim and its outcome: no BEGIN, no COMMIT).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable
from uuid import UUID

from etapa_contracts.events import Event
from notifier.domain import callbacks
from notifier.domain.delivery import Found
from notifier.usecases.records import (
    Branch,
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

ReportOutcome = callbacks.Outcome


class MessageStore(Protocol):
    """Every message and its status (table ``messages``)."""

    async def add(self, message: NewMessage) -> bool:
        """Record a stage entry's message; False when that entry already has one."""

    async def first_entry_on_its_way(
        self, order_id: UUID, stage_key: str, before_sequence: int
    ) -> int | None:
        """The earliest entry of this stage, before ``before_sequence``, whose message is on
        its way or gone (pending, sending, sent, delivered)."""

    async def claim_due(
        self, limit: int, now: datetime, lease_seconds: float
    ) -> list[ClaimedMessage]:
        """Mark up to ``limit`` due messages ``sending`` with a lease and one more attempt:
        ``pending`` and ``held`` ones whose time came, and ``sending`` ones whose lease ran
        out, oldest due first, only those whose contact is known. Messages another claim
        holds are skipped, never waited for."""

    async def hold(
        self, claim: ClaimedMessage, until: datetime, reason: str, now: datetime
    ) -> bool:
        """``held`` until ``until`` (the attempt given back); False when the lease was lost."""

    async def retry_later(
        self, claim: ClaimedMessage, provider: str, reason: str, now: datetime, due: datetime
    ) -> bool:
        """Back to ``pending``, due at ``due``; False when the lease was lost."""

    async def due_again_for_branch(self, branch_id: UUID, now: datetime) -> int:
        """The branch's ``held`` messages due at ``now`` (its sending window changed: the
        dispatcher sends them or holds them to the new opening); how many."""

    async def finish(
        self,
        claim: ClaimedMessage,
        outcome: Outcome,
        now: datetime,
        *,
        accepted: bool,
        event: Event,
    ) -> bool:
        """Write the outcome if the claim still holds its lease — or, ``accepted`` (the
        provider took it), on any unfinished message — and ``event`` (its status) in the
        outbox with it, in one statement. False when nothing was written, the event neither."""

    async def renew_lease(
        self, claim: ClaimedMessage, now: datetime, lease_seconds: float
    ) -> datetime | None:
        """Push the claim's lease to ``now + lease_seconds`` if the claim still holds it; the
        new lease (the claim's new token), or None when the lease was lost."""

    async def suppress_waiting(
        self, phone: str, reason: str, now: datetime, chain_id: UUID | None
    ) -> list[MessageKey]:
        """``pending`` and ``held`` messages to ``phone`` (of ``chain_id`` only, when given)
        become ``suppressed``; the ones changed."""

    async def apply_report(
        self,
        provider: str,
        provider_message_id: str,
        outcome: ReportOutcome,
        reason: str | None,
        now: datetime,
    ) -> MessageKey | None:
        """A ``sent`` message of that provider becomes ``delivered`` or ``failed``."""

    async def knows(self, provider: str, provider_message_id: str) -> bool: ...

    async def keep_early_report(self, report: EarlyReport, keep_since: datetime) -> None:
        """Keep a report for a message not ``sent`` yet (the first one kept for its id wins),
        dropping kept reports received before ``keep_since``."""

    async def early_reports_due(self, limit: int) -> list[EarlyReport]:
        """Kept reports whose message is now ``sent``, oldest first."""

    async def take_early_report(self, report: EarlyReport) -> bool:
        """Remove a kept report; False when another process took it first."""

    async def for_staff(self, query: MessageQuery) -> list[StaffMessage]:
        """Newest first, ``query.limit`` of them from ``query.offset``."""


class ConsentStore(Protocol):
    """Customers' contacts (the notifier's copy) and opted-out numbers."""

    async def keep_contact(self, contact: Contact) -> None:
        """Insert, or update name, phone and consent when newer and of the same chain."""

    async def copy_contact(
        self, from_order: UUID, chain_id: UUID, order_id: UUID, order_number: str, at: datetime
    ) -> None:
        """A remake order gets the contact of the order it reopens (same chain; kept if any)."""

    async def contact_chain(self, order_id: UUID) -> UUID | None: ...

    async def is_customer(
        self, phone: str, chain_id: UUID, branches: frozenset[UUID] | None
    ) -> bool:
        """Whether ``phone`` is a contact of ``chain_id`` (of ``branches``, when given)."""

    async def add_opt_out(self, opt_out: OptOut) -> bool:
        """Record it once per kind (the customer's; a chain's staff); False when it was."""

    async def remove_opt_out(self, phone: str, chain_id: UUID | None) -> bool:
        """Remove the customer's own (``chain_id`` None) or that chain's staff opt-out."""

    async def staff_opt_out(self, phone: str, chain_id: UUID) -> OptOut | None: ...

    async def visible_opt_outs(
        self,
        chain_id: UUID,
        branches: frozenset[UUID] | None,
        phone: str | None,
        limit: int,
        offset: int,
    ) -> list[OptOut]:
        """The chain's own staff opt-outs (of its branches' customers, for branch staff) and the
        customers' replies of its (branches') customers; own staff ones first, newest first."""


class SettingsStore(Protocol):
    """Branches' sending windows and chains' SMS options."""

    async def keep_branch(self, branch: Branch) -> bool:
        """Insert, or update when not older and of the same chain; False when kept as it was."""

    async def ensure_branch(self, branch: Branch) -> None:
        """Insert a branch first seen in an order (the default window), as older than any
        ``branch.upserted``; never change one already known."""

    async def branch_chain(self, branch_id: UUID) -> UUID | None: ...

    async def sms_settings(self, chain_id: UUID) -> SmsSettings | None: ...

    async def save_sms_settings(self, settings: SmsSettings) -> SmsSettings: ...


class OrderProgressStore(Protocol):
    """What the notifier knows of each order's progress: latest stage entry, closing."""

    async def note_entry(self, chain_id: UUID, order_id: UUID, entry_sequence: int) -> None:
        """Keep the highest entry sequence seen (0 creates the row)."""

    async def note_closed(
        self, chain_id: UUID, order_id: UUID, closed_at: datetime, outcome: str
    ) -> None: ...

    async def order_chain(self, order_id: UUID) -> UUID | None: ...


class Outbox(Protocol):
    async def enqueue(self, event: Event) -> None:
        """Publish ``event`` when (and only if) the transaction commits."""


class Stores(Protocol):
    """One transaction's view of the notifier's data."""

    @property
    def messages(self) -> MessageStore: ...

    @property
    def consent(self) -> ConsentStore: ...

    @property
    def settings(self) -> SettingsStore: ...

    @property
    def progress(self) -> OrderProgressStore: ...

    @property
    def outbox(self) -> Outbox: ...


@runtime_checkable  # Litestar checks the dependency it injects against its annotation
class UnitOfWork(Protocol):
    def __call__(self) -> AbstractAsyncContextManager[Stores]:
        """Open a transaction; commit when the block ends, roll back when it raises."""

    def each_statement(self) -> AbstractAsyncContextManager[Stores]:
        """The stores with no transaction: each statement commits on its own. For a use case
        whose one write is one statement."""


# --- SMS providers -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutgoingSms:
    idempotency_key: str
    """``<order id>:<stage entry sequence>``: the same for every retry of one message."""
    to: str
    """E.164 phone number."""
    body: str


@dataclass(frozen=True, slots=True)
class Receipt:
    provider_message_id: str | None
    """The provider's id for the message (matches its delivery reports), when it gave one."""


class PermanentSendError(Exception):
    """The provider refused the message for good (invalid number…): do not retry."""


class TransientSendError(Exception):
    """The provider could not take the message now (timeout, 5xx…): try again later."""


class AmbiguousSendError(TransientSendError):
    """The request went out and no answer came back: the provider may have sent the SMS.

    A provider that takes an idempotency key gets the same request again safely; one that does
    not (Zenvia, Twilio) is not asked again, or the customer could get the SMS twice.
    """


@dataclass(frozen=True, slots=True)
class SentQuery:
    """What a lookup asks a provider: did you take this message?"""

    idempotency_key: str
    to: str
    body: str
    """The body as it would be sent now (rendered again from the message's data)."""
    since: datetime
    """When the earlier attempt began (its claim): nothing older is this message."""


@dataclass(frozen=True, slots=True)
class LookupResult:
    found: Found
    provider_message_id: str | None = None
    detail: str | None = None
    """Why ``unknown``, for the log."""


class SmsProvider(Protocol):
    """A provider's ``send`` returns a :class:`Receipt` or raises :class:`PermanentSendError`
    (refused for good: invalid number, rejected content) or :class:`TransientSendError`
    (timeout, connection error, 5xx, 429, bad credentials: worth trying again later, or on the
    fallback provider). ``supports_idempotency``: the provider drops a repeat of a key itself.

    ``supports_lookup``: ``lookup`` can tell whether the provider took a message (by the key
    we sent, or by recipient, time and body); it answers ``unknown`` rather than raise. A
    provider without it is never asked."""

    name: str
    supports_idempotency: bool
    supports_lookup: bool

    async def send(self, sms: OutgoingSms) -> Receipt: ...

    async def lookup(self, query: SentQuery) -> LookupResult: ...

    async def aclose(self) -> None: ...
