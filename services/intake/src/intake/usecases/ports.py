"""What the use cases need from the outside, as Protocols: one store per aggregate, the outbox,
and the transaction that holds them together.

``Transactions.begin()`` opens one database transaction and yields ``Stores``: every store in
it reads and writes inside that transaction, and the outbox writes the events to publish in
it too, so a state change and its event commit (or roll back) together.
``Transactions.each_statement()`` yields stores without a transaction, for a use case whose
only write is one statement that stores its event too (``OrderStore.insert_action``, which
also finds the order: an action without a key or an assignee is that one statement).
PostgreSQL implements these in ``intake.adapters.postgres``; the in-memory fakes in
``tests/fakes/intake.py`` pass the same contract suites (``tests/contract/test_intake_*.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol, runtime_checkable
from uuid import UUID

from etapa_contracts.events import BranchSnapshot, Event, OrderAction, SendingWindow
from intake.domain.idempotency import KeyKind
from intake.domain.records import (
    Action,
    Branch,
    Chain,
    EarlierLabMessage,
    IssuedKey,
    Lab,
    LabKey,
    LabMessageStatus,
    LabRecord,
    NumberedBranch,
    Order,
    SignInCandidate,
    StoredAction,
    StoredLabMessage,
    User,
    Via,
)

NewId = Callable[[], UUID]
"""Where fresh ids come from (``uuid.uuid4`` in the composition root)."""


class OrderStore(Protocol):
    async def insert(self, order: Order, seq: int) -> Order:
        """Register ``order``, numbered ``seq`` in its branch."""

    async def get(self, chain_id: UUID, order_id: UUID) -> Order | None: ...

    async def get_with_branch_zone(
        self, chain_id: UUID, order_id: UUID
    ) -> tuple[Order, str | None] | None:
        """The order and its branch's IANA time zone, read together."""

    async def by_number(self, chain_id: UUID, number: str) -> Order | None: ...

    async def exists(self, order_id: UUID) -> bool: ...

    async def bind_to_lab(self, order_id: UUID, lab_code: str) -> bool:
        """Bind the order to ``lab_code`` unless it is with another lab (an order opened with
        no lab goes to the first lab whose message applies); False, changing nothing, when
        another lab holds it. The order stays locked until the transaction ends."""

    async def set_lab_order_number(self, order_id: UUID, lab_order_number: str | None) -> None:
        """Keep the lab's own number for the order (``None`` keeps the one known)."""

    async def branch_has_orders(self, branch_id: UUID) -> bool: ...

    async def code_numbered_orders(self, chain_id: UUID, code: str) -> bool:
        """Whether an order of the chain has a number ``<code>-…``."""

    async def insert_action(
        self, action: Action, event: OrderAction, *, visible: frozenset[UUID] | None
    ) -> StoredAction | None:
        """If the action's order is one of its chain's, in a branch of ``visible`` (None: any
        branch): record the action, take the order's next event number (``next_event_seq``'s)
        and store ``event`` in the outbox with that number as its ``order_seq``, in one
        statement (all of it or none, in a transaction or not). None, with nothing written,
        when there is no such order there."""

    async def get_action(self, action_id: UUID) -> Action | None: ...


class SequenceStore(Protocol):
    async def take_order_number(self, chain_id: UUID, branch_id: UUID) -> NumberedBranch | None:
        """Take the branch's next order number (None: no such branch in the chain)."""

    async def next_event_seq(self, order_id: UUID) -> int:
        """The order's next event number (``LookupError`` when there is no such order)."""


class IdempotencyStore(Protocol):
    async def claim(
        self, kind: KeyKind, chain_id: UUID, key: str, fingerprint: str, result: UUID
    ) -> UUID | None:
        """Claim ``key`` for ``result``; the earlier result when the key was used already with
        the same fingerprint; ``IdempotencyConflict`` when with another."""


class DirectoryStore(Protocol):
    async def create_chain(self, chain_id: UUID, name: str) -> Chain:
        """``DirectoryConflict`` when the name is taken."""

    async def ensure_chain(self, chain_id: UUID, name: str) -> None:
        """Create the chain unless it exists (demo data)."""

    async def get_chain(self, chain_id: UUID) -> Chain | None: ...

    async def branch_code(self, chain_id: UUID, branch_id: UUID) -> str | None: ...

    async def upsert_branch(
        self, chain_id: UUID, snapshot: BranchSnapshot, window: SendingWindow, now: datetime
    ) -> Branch | None:
        """Create or update; None when the branch id belongs to another chain;
        ``DirectoryConflict`` when the code is taken in the chain."""

    async def get_branch(self, chain_id: UUID, branch_id: UUID) -> Branch | None: ...

    async def list_branches(
        self, chain_id: UUID, branches: frozenset[UUID] | None, limit: int, offset: int
    ) -> list[Branch]:
        """By code; with ``branches``, only those; up to ``limit + 1`` (to tell a next page)."""

    async def existing_branches(self, chain_id: UUID, branch_ids: Iterable[UUID]) -> set[UUID]:
        """Those of ``branch_ids`` that are branches of the chain."""


class ServiceTypeStore(Protocol):
    async def keep(
        self,
        chain_id: UUID,
        code: str,
        name: str,
        flow_version: int,
        active: bool,
        updated_at: datetime,
    ) -> None:
        """Keep a service type's copy unless a newer flow version is kept already."""

    async def known(self, chain_id: UUID) -> Mapping[str, bool]:
        """The chain's service types: code → active."""


class UserStore(Protocol):
    async def create(
        self,
        *,
        user_id: UUID,
        chain_id: UUID,
        email: str,
        name: str,
        role: str,
        branch_ids: list[UUID],
        password_hash: str,
    ) -> User:
        """``EmailTaken`` when another account uses the e-mail."""

    async def update(
        self,
        chain_id: UUID,
        user_id: UUID,
        *,
        name: str | None = None,
        role: str | None = None,
        branch_ids: list[UUID] | None = None,
        active: bool | None = None,
        password_hash: str | None = None,
    ) -> User | None:
        """Change the given fields (None: unchanged) and ``updated_at``."""

    async def get(self, chain_id: UUID, user_id: UUID) -> User | None: ...

    async def list_users(
        self, chain_id: UUID, branches: frozenset[UUID] | None, limit: int, offset: int
    ) -> list[User]:
        """By name and e-mail; with ``branches``, those working in one of them."""

    async def sign_in_candidate(self, email: str) -> SignInCandidate | None:
        """The user ``email`` names, whatever its case."""

    async def revoke_tokens(self, chain_id: UUID, user_id: UUID, valid_since: datetime) -> None:
        """The user's tokens issued before ``valid_since`` no longer count (the latest moment
        recorded wins); every API refuses them (``shared.token_validity``)."""

    async def tokens_valid_since(self, user_id: UUID) -> datetime | None:
        """From when the user's tokens count; None when never revoked."""


class LabStore(Protocol):
    async def create(
        self, *, lab_id: UUID, chain_id: UUID, code: str, name: str, now: datetime
    ) -> LabRecord:
        """``LabCodeTaken`` when the code is taken; the code's orphan messages join the chain."""

    async def get(self, chain_id: UUID, lab_id: UUID) -> LabRecord | None: ...

    async def list_labs(self, chain_id: UUID, limit: int, offset: int) -> list[LabRecord]: ...

    async def by_code(self, code: str) -> Lab | None: ...

    async def in_chain(self, chain_id: UUID, code: str) -> bool: ...

    async def issue_key(
        self, *, key_id: UUID, lab_id: UUID, label: str | None, now: datetime
    ) -> IssuedKey: ...

    async def list_keys(self, lab_id: UUID) -> list[LabKey]: ...

    async def revoke_key(self, *, lab_id: UUID, key_id: UUID, now: datetime) -> LabKey | None: ...

    async def lab_for_key(self, secret: str) -> Lab | None:
        """The lab that owns the unrevoked key ``secret``."""


class LabMessageStore(Protocol):
    async def insert(
        self,
        *,
        lab_message_id: UUID,
        received_at: datetime,
        via: Via,
        routing_key: str | None,
        lab_code: str,
        chain_id: UUID | None,
        message_id: str | None,
        body: bytes,
    ) -> bool:
        """Store a new message as rejected; False when (lab, message id) is stored already."""

    async def earlier(self, lab_code: str, message_id: str | None) -> EarlierLabMessage:
        """The stored message with this (lab, message id), locked for update."""

    async def resent(
        self, lab_message_id: UUID, *, body: bytes, via: Via, routing_key: str | None
    ) -> None:
        """A rejected message came again: keep its new body and count the attempt."""

    async def for_replay(self, chain_id: UUID, lab_message_id: UUID) -> StoredLabMessage | None:
        """The chain's message, locked for update."""

    async def count_attempt(self, lab_message_id: UUID) -> None: ...

    async def advance_progress(
        self, order_id: UUID, lab_code: str, occurred_at: datetime, lab_message_id: UUID
    ) -> bool:
        """Keep ``occurred_at`` as the order's latest from the lab unless a later one is kept;
        False (stale) when one is."""

    async def record(
        self,
        lab_message_id: UUID,
        *,
        status: LabMessageStatus,
        reason: str | None,
        order_id: UUID | None,
        occurred_at: datetime | None,
        now: datetime,
    ) -> None: ...

    async def list_messages(
        self,
        chain_id: UUID,
        branches: frozenset[UUID] | None,
        status: LabMessageStatus | None,
        limit: int,
        offset: int,
    ) -> list[StoredLabMessage]:
        """Newest first; with ``branches``, those about their orders and those of no order."""

    async def list_lab_messages(
        self,
        chain_id: UUID,
        lab_code: str,
        status: LabMessageStatus | None,
        limit: int,
        offset: int,
    ) -> list[StoredLabMessage]:
        """What the chain's lab ``lab_code`` sent, newest first: the lab's own feedback."""

    async def get(
        self, chain_id: UUID, branches: frozenset[UUID] | None, lab_message_id: UUID
    ) -> StoredLabMessage | None: ...


class RemakeStore(Protocol):
    async def register(
        self,
        *,
        order_id: UUID,
        number: str,
        opened_at: datetime,
        reopened_from: UUID,
        chain_id: UUID,
    ) -> bool:
        """Copy the original's registration under the new id and number; False when the
        order is known already or the original is not (an order of another chain included)."""


class Outbox(Protocol):
    async def enqueue(self, event: Event) -> None:
        """Publish ``event`` once the transaction commits."""


class Stores(Protocol):
    """The stores of one transaction."""

    @property
    def orders(self) -> OrderStore: ...
    @property
    def sequence(self) -> SequenceStore: ...
    @property
    def keys(self) -> IdempotencyStore: ...
    @property
    def directory(self) -> DirectoryStore: ...
    @property
    def service_types(self) -> ServiceTypeStore: ...
    @property
    def users(self) -> UserStore: ...
    @property
    def labs(self) -> LabStore: ...
    @property
    def lab_messages(self) -> LabMessageStore: ...
    @property
    def remakes(self) -> RemakeStore: ...
    @property
    def outbox(self) -> Outbox: ...


@runtime_checkable  # the HTTP layer's dependency injection checks what it injects
class Transactions(Protocol):
    def begin(self) -> AbstractAsyncContextManager[Stores]:
        """One transaction: committed when the block ends, rolled back when it raises."""

    def each_statement(self) -> AbstractAsyncContextManager[Stores]:
        """Stores on one connection and no transaction: each statement commits on its own (no
        BEGIN, no COMMIT). For reads followed by a single write that is one statement."""


@runtime_checkable  # the HTTP layer's dependency injection checks what it injects
class Passwords(Protocol):
    def hash(self, password: str) -> Awaitable[str]: ...

    def verify(self, password_hash: str | None, password: str) -> Awaitable[bool]:
        """Whether ``password`` matches; ``None`` (no such user) costs the same and is False."""
