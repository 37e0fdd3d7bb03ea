"""In-memory fakes of intake's stores (``intake.usecases.ports``), for unit tests.

``FakeIntake`` holds the data; ``begin()`` opens a "transaction": the stores work on the data
directly, and an exception rolls everything back to a copy taken at ``begin`` (numbers, keys
and events included), as PostgreSQL would. No concurrency: one transaction at a time. The
same contract suites (``tests/contract/test_intake_*.py``) run against these and PostgreSQL.
"""

from __future__ import annotations

import copy
import hashlib
import secrets
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from uuid import UUID

from etapa_contracts.events import BranchSnapshot, Event, OrderAction, SendingWindow
from intake.domain.directory import DirectoryConflict
from intake.domain.idempotency import IdempotencyConflict, KeyKind
from intake.domain.labs import KEY_PREFIX, SHOWN_PREFIX_LENGTH, LabCodeTaken
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
from intake.domain.users import EmailTaken


@dataclass
class _UserRow:
    user: User
    password_hash: str


@dataclass
class _State:
    chains: dict[UUID, Chain] = field(default_factory=dict)
    branches: dict[UUID, Branch] = field(default_factory=dict)
    next_order_seq: dict[UUID, int] = field(default_factory=dict)
    orders: dict[UUID, Order] = field(default_factory=dict)
    order_seq: dict[UUID, int] = field(default_factory=dict)
    """Each order's seq in its branch (remakes share their original's)."""
    event_seq: dict[UUID, int] = field(default_factory=dict)
    actions: dict[UUID, Action] = field(default_factory=dict)
    keys: dict[tuple[KeyKind, UUID, str], tuple[str, UUID]] = field(default_factory=dict)
    service_types: dict[tuple[UUID, str], tuple[str, int, bool]] = field(default_factory=dict)
    users: dict[UUID, _UserRow] = field(default_factory=dict)
    token_valid_since: dict[UUID, datetime] = field(default_factory=dict)
    labs: dict[UUID, LabRecord] = field(default_factory=dict)
    lab_keys: dict[UUID, tuple[LabKey, bytes]] = field(default_factory=dict)
    lab_messages: dict[UUID, StoredLabMessage] = field(default_factory=dict)
    lab_message_chain: dict[UUID, UUID | None] = field(default_factory=dict)
    progress: dict[tuple[UUID, str], datetime] = field(default_factory=dict)
    outbox: list[Event] = field(default_factory=list)


class _Store:
    def __init__(self, state: _State) -> None:
        self._s = state


class FakeOrders(_Store):
    async def insert(self, order: Order, seq: int) -> Order:
        self._s.orders[order.order_id] = order
        self._s.order_seq[order.order_id] = seq
        self._s.event_seq[order.order_id] = 1
        return order

    async def get(self, chain_id: UUID, order_id: UUID) -> Order | None:
        order = self._s.orders.get(order_id)
        return order if order and order.chain_id == chain_id else None

    async def get_with_branch_zone(
        self, chain_id: UUID, order_id: UUID
    ) -> tuple[Order, str | None] | None:
        order = await self.get(chain_id, order_id)
        if order is None:
            return None
        branch = self._s.branches.get(order.branch_id)
        return order, None if branch is None else branch.timezone

    async def by_number(self, chain_id: UUID, number: str) -> Order | None:
        return next(
            (o for o in self._s.orders.values() if o.chain_id == chain_id and o.number == number),
            None,
        )

    async def exists(self, order_id: UUID) -> bool:
        return order_id in self._s.orders

    async def bind_to_lab(self, order_id: UUID, lab_code: str) -> bool:
        order = self._s.orders.get(order_id)
        if order is None or order.lab_code not in (None, lab_code):
            return False
        self._s.orders[order_id] = replace(order, lab_code=lab_code)
        return True

    async def set_lab_order_number(self, order_id: UUID, lab_order_number: str | None) -> None:
        order = self._s.orders.get(order_id)
        if order is not None and lab_order_number is not None:
            self._s.orders[order_id] = replace(order, lab_order_number=lab_order_number)

    async def branch_has_orders(self, branch_id: UUID) -> bool:
        return any(o.branch_id == branch_id for o in self._s.orders.values())

    async def code_numbered_orders(self, chain_id: UUID, code: str) -> bool:
        return any(
            o.chain_id == chain_id and o.number.startswith(code + "-")
            for o in self._s.orders.values()
        )

    async def insert_action(
        self, action: Action, event: OrderAction, *, visible: frozenset[UUID] | None
    ) -> StoredAction | None:
        found = await self.get_with_branch_zone(action.chain_id, action.order_id)
        if found is None or not (visible is None or found[0].branch_id in visible):
            return None
        self._s.actions[action.action_id] = action
        self._s.event_seq[action.order_id] += 1
        stored = event.model_copy(update={"order_seq": self._s.event_seq[action.order_id]})
        self._s.outbox.append(stored)
        return StoredAction(action, stored, found[1])

    async def get_action(self, action_id: UUID) -> Action | None:
        return self._s.actions.get(action_id)


class FakeSequence(_Store):
    async def take_order_number(self, chain_id: UUID, branch_id: UUID) -> NumberedBranch | None:
        branch = self._s.branches.get(branch_id)
        if branch is None or branch.chain_id != chain_id:
            return None
        seq = self._s.next_order_seq[branch_id]
        self._s.next_order_seq[branch_id] = seq + 1
        return NumberedBranch(branch, seq, self._s.chains[chain_id].name)

    async def next_event_seq(self, order_id: UUID) -> int:
        if order_id not in self._s.event_seq:
            raise LookupError(f"order {order_id} not found")
        self._s.event_seq[order_id] += 1
        return self._s.event_seq[order_id]


class FakeIdempotency(_Store):
    async def claim(
        self, kind: KeyKind, chain_id: UUID, key: str, fingerprint: str, result: UUID
    ) -> UUID | None:
        earlier = self._s.keys.get((kind, chain_id, key))
        if earlier is None:
            self._s.keys[(kind, chain_id, key)] = (fingerprint, result)
            return None
        if earlier[0] != fingerprint:
            raise IdempotencyConflict()
        return earlier[1]


class FakeDirectory(_Store):
    async def create_chain(self, chain_id: UUID, name: str) -> Chain:
        if any(c.name == name for c in self._s.chains.values()):
            raise DirectoryConflict(f"a chain named {name!r} already exists")
        chain = Chain(chain_id, name, datetime.now(UTC))
        self._s.chains[chain_id] = chain
        return chain

    async def ensure_chain(self, chain_id: UUID, name: str) -> None:
        if chain_id not in self._s.chains:
            await self.create_chain(chain_id, name)

    async def get_chain(self, chain_id: UUID) -> Chain | None:
        return self._s.chains.get(chain_id)

    async def branch_code(self, chain_id: UUID, branch_id: UUID) -> str | None:
        branch = self._s.branches.get(branch_id)
        return branch.code if branch and branch.chain_id == chain_id else None

    async def upsert_branch(
        self, chain_id: UUID, snapshot: BranchSnapshot, window: SendingWindow, now: datetime
    ) -> Branch | None:
        current = self._s.branches.get(snapshot.branch_id)
        if current is not None and current.chain_id != chain_id:
            return None
        if any(
            b.chain_id == chain_id and b.code == snapshot.code and b.branch_id != snapshot.branch_id
            for b in self._s.branches.values()
        ):
            raise DirectoryConflict(f"branch code {snapshot.code!r} is already used in this chain")
        branch = Branch(
            branch_id=snapshot.branch_id,
            chain_id=chain_id,
            code=snapshot.code,
            name=snapshot.name,
            state=snapshot.state,
            city=snapshot.city,
            timezone=snapshot.timezone,
            phone=snapshot.phone,
            address=snapshot.address,
            opening_hours=snapshot.opening_hours,
            sms_starts_at=window.starts_at,
            sms_ends_at=window.ends_at,
            sms_weekdays=list(window.weekdays),
            updated_at=now,
        )
        self._s.branches[branch.branch_id] = branch
        self._s.next_order_seq.setdefault(branch.branch_id, 1)
        return branch

    async def get_branch(self, chain_id: UUID, branch_id: UUID) -> Branch | None:
        branch = self._s.branches.get(branch_id)
        return branch if branch and branch.chain_id == chain_id else None

    async def list_branches(
        self, chain_id: UUID, branches: frozenset[UUID] | None, limit: int, offset: int
    ) -> list[Branch]:
        found = sorted(
            (
                b
                for b in self._s.branches.values()
                if b.chain_id == chain_id and (branches is None or b.branch_id in branches)
            ),
            key=lambda b: b.code,
        )
        return found[offset : offset + limit + 1]

    async def existing_branches(self, chain_id: UUID, branch_ids: Iterable[UUID]) -> set[UUID]:
        return {b for b in branch_ids if await self.get_branch(chain_id, b) is not None}


class FakeServiceTypes(_Store):
    async def keep(
        self,
        chain_id: UUID,
        code: str,
        name: str,
        flow_version: int,
        active: bool,
        updated_at: datetime,
    ) -> None:
        kept = self._s.service_types.get((chain_id, code))
        if kept is None or kept[1] <= flow_version:
            self._s.service_types[(chain_id, code)] = (name, flow_version, active)

    async def known(self, chain_id: UUID) -> Mapping[str, bool]:
        return {
            code: active
            for (chain, code), (_name, _version, active) in sorted(self._s.service_types.items())
            if chain == chain_id
        }


class FakeUsers(_Store):
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
        if any(r.user.email.lower() == email.lower() for r in self._s.users.values()):
            raise EmailTaken(f"e-mail {email} is already in use")
        now = datetime.now(UTC)
        user = User(user_id, chain_id, email, name, role, list(branch_ids), True, now, now)
        self._s.users[user_id] = _UserRow(user, password_hash)
        return user

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
        row = self._s.users.get(user_id)
        if row is None or row.user.chain_id != chain_id:
            return None
        user = row.user
        user = replace(
            user,
            name=user.name if name is None else name,
            role=user.role if role is None else role,
            branch_ids=user.branch_ids if branch_ids is None else list(branch_ids),
            active=user.active if active is None else active,
            updated_at=datetime.now(UTC),
        )
        self._s.users[user_id] = _UserRow(user, password_hash or row.password_hash)
        return user

    async def get(self, chain_id: UUID, user_id: UUID) -> User | None:
        row = self._s.users.get(user_id)
        return row.user if row and row.user.chain_id == chain_id else None

    async def list_users(
        self, chain_id: UUID, branches: frozenset[UUID] | None, limit: int, offset: int
    ) -> list[User]:
        found = sorted(
            (
                r.user
                for r in self._s.users.values()
                if r.user.chain_id == chain_id
                and (branches is None or branches & set(r.user.branch_ids))
            ),
            key=lambda u: (u.name, u.email),
        )
        return found[offset : offset + limit + 1]

    async def sign_in_candidate(self, email: str) -> SignInCandidate | None:
        for row in self._s.users.values():
            u = row.user
            if u.email.lower() == email.lower():
                return SignInCandidate(
                    u.user_id, u.chain_id, u.name, u.role, u.branch_ids, row.password_hash, u.active
                )
        return None

    async def revoke_tokens(self, chain_id: UUID, user_id: UUID, valid_since: datetime) -> None:
        kept = self._s.token_valid_since.get(user_id)
        self._s.token_valid_since[user_id] = valid_since if kept is None else max(kept, valid_since)

    async def tokens_valid_since(self, user_id: UUID) -> datetime | None:
        return self._s.token_valid_since.get(user_id)


def _hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


class FakeLabs(_Store):
    async def create(
        self, *, lab_id: UUID, chain_id: UUID, code: str, name: str, now: datetime
    ) -> LabRecord:
        if any(lab.code == code for lab in self._s.labs.values()):
            raise LabCodeTaken(f"lab code {code!r} is already taken")
        lab = LabRecord(lab_id, chain_id, code, name, now)
        self._s.labs[lab_id] = lab
        for message_id, message in self._s.lab_messages.items():
            if self._s.lab_message_chain[message_id] is None and message.lab_code == code:
                self._s.lab_message_chain[message_id] = chain_id
        return lab

    async def get(self, chain_id: UUID, lab_id: UUID) -> LabRecord | None:
        lab = self._s.labs.get(lab_id)
        return lab if lab and lab.chain_id == chain_id else None

    async def list_labs(self, chain_id: UUID, limit: int, offset: int) -> list[LabRecord]:
        found = sorted(
            (lab for lab in self._s.labs.values() if lab.chain_id == chain_id),
            key=lambda lab: lab.code,
        )
        return found[offset : offset + limit + 1]

    async def by_code(self, code: str) -> Lab | None:
        for lab in self._s.labs.values():
            if lab.code == code:
                return Lab(lab.lab_id, lab.chain_id, lab.code, lab.name)
        return None

    async def in_chain(self, chain_id: UUID, code: str) -> bool:
        return any(lab.chain_id == chain_id and lab.code == code for lab in self._s.labs.values())

    async def issue_key(
        self, *, key_id: UUID, lab_id: UUID, label: str | None, now: datetime
    ) -> IssuedKey:
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        key = LabKey(key_id, lab_id, secret[:SHOWN_PREFIX_LENGTH], label, now, None)
        self._s.lab_keys[key_id] = (key, _hash(secret))
        return IssuedKey(key, secret)

    async def list_keys(self, lab_id: UUID) -> list[LabKey]:
        return sorted(
            (key for key, _ in self._s.lab_keys.values() if key.lab_id == lab_id),
            key=lambda key: key.created_at,
        )

    async def revoke_key(self, *, lab_id: UUID, key_id: UUID, now: datetime) -> LabKey | None:
        found = self._s.lab_keys.get(key_id)
        if found is None or found[0].lab_id != lab_id:
            return None
        key = found[0] if found[0].revoked_at else replace(found[0], revoked_at=now)
        self._s.lab_keys[key_id] = (key, found[1])
        return key

    async def lab_for_key(self, secret: str) -> Lab | None:
        for key, hashed in self._s.lab_keys.values():
            if hashed == _hash(secret) and key.revoked_at is None:
                lab = self._s.labs[key.lab_id]
                return Lab(lab.lab_id, lab.chain_id, lab.code, lab.name)
        return None


class FakeLabMessages(_Store):
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
        if message_id is not None and any(
            m.lab_code == lab_code and m.message_id == message_id
            for m in self._s.lab_messages.values()
        ):
            return False
        self._s.lab_messages[lab_message_id] = StoredLabMessage(
            lab_message_id=lab_message_id,
            received_at=received_at,
            via=via,
            routing_key=routing_key,
            lab_code=lab_code,
            message_id=message_id,
            body=body,
            status="rejected",
            reason=None,
            order_id=None,
            occurred_at=None,
            attempts=1,
            last_attempt_at=received_at,
        )
        self._s.lab_message_chain[lab_message_id] = chain_id
        return True

    async def earlier(self, lab_code: str, message_id: str | None) -> EarlierLabMessage:
        m = next(
            m
            for m in self._s.lab_messages.values()
            if m.lab_code == lab_code and m.message_id == message_id
        )
        return EarlierLabMessage(m.lab_message_id, m.status, m.order_id)

    async def resent(
        self, lab_message_id: UUID, *, body: bytes, via: Via, routing_key: str | None
    ) -> None:
        m = self._s.lab_messages[lab_message_id]
        self._s.lab_messages[lab_message_id] = replace(
            m, body=body, via=via, routing_key=routing_key, attempts=m.attempts + 1
        )

    async def for_replay(self, chain_id: UUID, lab_message_id: UUID) -> StoredLabMessage | None:
        if self._s.lab_message_chain.get(lab_message_id) != chain_id:
            return None
        return self._s.lab_messages[lab_message_id]

    async def count_attempt(self, lab_message_id: UUID) -> None:
        m = self._s.lab_messages[lab_message_id]
        self._s.lab_messages[lab_message_id] = replace(m, attempts=m.attempts + 1)

    async def advance_progress(
        self, order_id: UUID, lab_code: str, occurred_at: datetime, lab_message_id: UUID
    ) -> bool:
        if order_id not in self._s.orders:
            raise LookupError(f"order {order_id} not found")  # the foreign key
        latest = self._s.progress.get((order_id, lab_code))
        if latest is not None and latest > occurred_at:
            return False
        self._s.progress[(order_id, lab_code)] = occurred_at
        return True

    async def record(
        self,
        lab_message_id: UUID,
        *,
        status: LabMessageStatus,
        reason: str | None,
        order_id: UUID | None,
        occurred_at: datetime | None,
        now: datetime,
    ) -> None:
        m = self._s.lab_messages[lab_message_id]
        self._s.lab_messages[lab_message_id] = replace(
            m,
            status=status,
            reason=reason,
            order_id=order_id,
            occurred_at=occurred_at,
            last_attempt_at=now,
        )

    def _visible(self, chain_id: UUID, branches: frozenset[UUID] | None) -> list[StoredLabMessage]:
        found = []
        for m in self._s.lab_messages.values():
            if self._s.lab_message_chain[m.lab_message_id] != chain_id:
                continue
            order = self._s.orders.get(m.order_id) if m.order_id else None
            if branches is None or m.order_id is None or (order and order.branch_id in branches):
                branch = self._s.branches.get(order.branch_id) if order else None
                found.append(replace(m, branch_timezone=branch.timezone if branch else None))
        return found

    async def list_messages(
        self,
        chain_id: UUID,
        branches: frozenset[UUID] | None,
        status: LabMessageStatus | None,
        limit: int,
        offset: int,
    ) -> list[StoredLabMessage]:
        found = [m for m in self._visible(chain_id, branches) if status in (None, m.status)]
        found.sort(key=lambda m: str(m.lab_message_id))
        found.sort(key=lambda m: m.received_at, reverse=True)
        return found[offset : offset + limit + 1]

    async def list_lab_messages(
        self,
        chain_id: UUID,
        lab_code: str,
        status: LabMessageStatus | None,
        limit: int,
        offset: int,
    ) -> list[StoredLabMessage]:
        found = [
            m
            for m in self._visible(chain_id, None)
            if m.lab_code == lab_code and status in (None, m.status)
        ]
        found.sort(key=lambda m: str(m.lab_message_id))
        found.sort(key=lambda m: m.received_at, reverse=True)
        return found[offset : offset + limit + 1]

    async def get(
        self, chain_id: UUID, branches: frozenset[UUID] | None, lab_message_id: UUID
    ) -> StoredLabMessage | None:
        return next(
            (m for m in self._visible(chain_id, branches) if m.lab_message_id == lab_message_id),
            None,
        )


class FakeRemakes(_Store):
    async def register(
        self,
        *,
        order_id: UUID,
        number: str,
        opened_at: datetime,
        reopened_from: UUID,
        chain_id: UUID,
    ) -> bool:
        original = self._s.orders.get(reopened_from)
        if order_id in self._s.orders or original is None or original.chain_id != chain_id:
            return False
        self._s.orders[order_id] = replace(
            original,
            order_id=order_id,
            number=number,
            promised_date=None,
            lab_order_number=None,
            opened_at=opened_at,
        )
        self._s.order_seq[order_id] = self._s.order_seq[reopened_from]
        self._s.event_seq[order_id] = 1
        return True


class FakeOutbox(_Store):
    async def enqueue(self, event: Event) -> None:
        self._s.outbox.append(event)


class FakeStores:
    def __init__(self, state: _State) -> None:
        self.orders = FakeOrders(state)
        self.sequence = FakeSequence(state)
        self.keys = FakeIdempotency(state)
        self.directory = FakeDirectory(state)
        self.service_types = FakeServiceTypes(state)
        self.users = FakeUsers(state)
        self.labs = FakeLabs(state)
        self.lab_messages = FakeLabMessages(state)
        self.remakes = FakeRemakes(state)
        self.outbox = FakeOutbox(state)


class FakeIntake:
    """Intake's data in memory, with transactions that roll back on an exception."""

    def __init__(self) -> None:
        self.state = _State()
        self.transactions_begun = 0

    @property
    def published(self) -> list[Event]:
        """The events written to the outbox by committed transactions."""
        return self.state.outbox

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[FakeStores]:
        self.transactions_begun += 1
        before = copy.deepcopy(self.state)
        try:
            yield FakeStores(self.state)
        except BaseException:
            self.state.__dict__.update(before.__dict__)
            raise

    @asynccontextmanager
    async def each_statement(self) -> AsyncIterator[FakeStores]:
        """No transaction: what a store call wrote stays, whatever happens after it."""
        yield FakeStores(self.state)


class FakePasswords:
    """Passwords "hashed" as ``fake$<password>``: fast, and never equal to the password."""

    async def hash(self, password: str) -> str:
        return "fake$" + password

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return password_hash is not None and password_hash == "fake$" + password
