"""The order aggregate in PostgreSQL: the ``orders`` row, its history tables and its timeline.

- ``save_state`` writes only when ``orders.version`` is still the version the decision was
  made on (``UPDATE … WHERE version = $n``); False means another action got there first, and
  the caller reloads and decides again. In a consumer batch the save is a deferred write
  (lane ``orders``), sent with the batch's others just before the commit: the batch's orders
  are locked (their advisory locks) and read in this transaction, so only the risk sweeper can
  change one meanwhile, and then the unanswered statement fails instead of saving nothing
  (migration 0012): the batch rolls back and is applied message by message, where the
  conflict is read and retried. Every other statement here on ``orders`` (and
  ``order_sequence``'s) sends the pending saves first (``_settled``), so a second message of
  an order in the batch reads the first one's state.
- Risk lives on the order row: the stored level, its reason and the sweeper's timer
  (``risk_check_at``); ``due_for_risk_check`` claims due rows with ``FOR UPDATE SKIP LOCKED``
  so several sweepers share the work.
- History: ``stage_entries`` (one per stay in a stage), ``lab_updates``, ``order_messages``
  (the newest status of each customer message) and ``timeline``. The writes to
  ``stage_entries`` and ``timeline`` are deferred (``shared.deferred_writes``): in a
  ``committing`` transaction — a consumer batch's — they are sent together just before the
  commit; nothing in the consumers reads those tables back in the same transaction.
- In a consumer batch, ``read_ahead`` reads the rows of all its orders in one statement, under
  their locks, and each order's first ``load`` takes its row from there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from shared import consumer_batches, deferred_writes
from shared.database import Connection
from workflow.adapters.postgres.branches import BRANCH_COLUMNS, branch_from_row
from workflow.adapters.postgres.read_cache import ReadCaches, TransactionReads
from workflow.adapters.postgres.responsibles import ELIGIBLE
from workflow.domain.order_actions import StageEntered
from workflow.domain.order_state import OrderState, State
from workflow.domain.records import (
    Branch,
    LabUpdate,
    MessageStatus,
    NewOrder,
    OrderHistory,
    OrderRisk,
    RiskUpdate,
    StageEntry,
    StoredOrder,
    TimelineEntry,
)
from workflow.domain.responsibles import Person
from workflow.domain.risk import RiskAssessment

_LOAD_COLUMNS = f"""
    SELECT o.*, b.row_version AS branch_row_version, t.name AS service_type_name,
        EXISTS (SELECT 1 FROM parked_order_events p WHERE p.order_id = o.order_id)
            AS parked_events,
        d.stage_keys AS default_stage_keys, d.user_ids AS default_user_ids,
        d.names AS default_names
    FROM orders o
    LEFT JOIN branches b ON b.branch_id = o.branch_id
    LEFT JOIN service_types t ON t.chain_id = o.chain_id AND t.code = o.service_type
    CROSS JOIN LATERAL (
        SELECT array_agg(r.stage_key) AS stage_keys, array_agg(s.user_id) AS user_ids,
            array_agg(s.name) AS names
        FROM stage_responsibles r
        JOIN staff s ON s.user_id = r.user_id AND s.chain_id = r.chain_id
        WHERE r.chain_id = o.chain_id AND r.service_type = o.service_type
            AND r.branch_id = o.branch_id AND {ELIGIBLE}
    ) d
"""
_LOAD = f"{_LOAD_COLUMNS} WHERE o.order_id = $1 AND o.chain_id = $2"
_LOAD_MANY = f"""{_LOAD_COLUMNS}
    WHERE (o.order_id, o.chain_id) IN (SELECT * FROM unnest($1::uuid[], $2::uuid[]))
"""
_AHEAD = "order"
"""Key of an order's row read ahead: (``_AHEAD``, chain_id, order_id)."""
_SAVE = """
    UPDATE orders SET status = $3, stage_position = $4, entry_sequence = $5,
        stage_entered_at = $6, stage_due_at = $7, stage_planned_due_at = $8,
        projected_completion_at = $9, assignee = $10, paused_at = $11,
        paused_total = $12, lab_status = $13, lab_eta = $14, lab_reported_at = $15,
        version = $16,
        stage_due_explanation = coalesce(
            $17, stage_due_explanation || '; ' || $20, $20, stage_due_explanation),
        closed_at = CASE WHEN $18 THEN $19 ELSE closed_at END,
        risk_check_at = CASE WHEN $18 THEN NULL WHEN $25 THEN $28
            ELSE risk_check_at END,
        updated_at = $19, pause_reason = $21, projected_from_lab_eta = $22,
        projected_completion_reason = coalesce($23, projected_completion_reason),
        assignee_id = $24::uuid,
        risk_changed_at = CASE WHEN $25 AND risk_level IS DISTINCT FROM $26 THEN $30
            ELSE risk_changed_at END,
        risk_level = CASE WHEN $25 THEN $26 ELSE risk_level END,
        risk_reason = CASE WHEN $25 THEN $27 ELSE risk_reason END,
        applied_seq = coalesce($31, applied_seq)
    WHERE order_id = $1 AND version = $2
        AND (NOT $25 OR risk_level IS NOT DISTINCT FROM $29)
"""
"""The state, its risk and its sequence, while the version and the risk level are the ones
the decision was made on."""
_SAVE_CHECKED = f"""
    WITH saved AS ({_SAVE} RETURNING 1)
    SELECT order_state_saved((SELECT count(*) FROM saved), $1)
"""
"""``_SAVE`` as a batch sends it, unanswered: an order that changed meanwhile is an error
(migration 0012), never a save that silently did nothing."""
ORDERS_LANE = "orders"
"""The deferred lane of the batch's state saves; whatever reads ``orders`` back in the
transaction sends it first (``PostgresOrderStore._settled``)."""
_TIMELINE = """
    INSERT INTO timeline (chain_id, order_id, occurred_at, actor, kind, summary, detail)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
"""


class PostgresOrderStore:
    def __init__(
        self,
        conn: Connection,
        caches: ReadCaches | None = None,
        reads: TransactionReads | None = None,
    ) -> None:
        self._conn = conn
        self._caches = caches or ReadCaches()
        self._reads = reads or TransactionReads()

    async def insert(
        self,
        order: NewOrder,
        state: OrderState | None,
        *,
        tracking_token: str,
        due_explanation: str | None,
        status_reason: str | None,
        now: datetime,
        projection_reason: str | None = None,
    ) -> bool:
        await self._settled()
        inserted = await self._conn.fetchval(
            """
            INSERT INTO orders (order_id, chain_id, branch_id, number, service_type,
                flow_version, customer_name, lab_code, status, status_reason, stage_position,
                entry_sequence, stage_entered_at, stage_due_at, stage_due_explanation,
                projected_completion_at, promised_date, promised_date_proposed, opened_at,
                updated_at, stage_planned_due_at, paused_at, reopened_from, reopen_kind,
                customer_phone_digits, projected_completion_reason, proposed_date,
                promised_before_proposal, tracking_token, assignee, assignee_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                    $18, $19, $20, $21, $22, $23, $24,
                    COALESCE($25, (SELECT customer_phone_digits FROM orders WHERE order_id = $23)),
                    $26, $27, $28, $29, $30, $31::uuid)
            ON CONFLICT (order_id) DO NOTHING RETURNING true
            """,
            order.order_id,
            order.chain_id,
            order.branch_id,
            order.number,
            order.service_type,
            state.flow_version if state else None,
            order.customer_name,
            order.lab_code,
            state.status.value if state else "needs_attention",
            status_reason,
            state.stage_position if state else None,
            state.entry_sequence if state else 0,
            state.stage_entered_at if state else None,
            state.stage_due_at if state else None,
            due_explanation,
            state.projected_completion_at if state else None,
            state.promised_date if state else order.promised_date,
            state.promised_date_proposed if state else False,
            order.opened_at,
            now,
            state.stage_planned_due_at if state else None,
            state.paused_at if state else None,
            order.reopened_from,
            order.reopen_kind,
            national_digits(order.customer_phone),
            projection_reason,
            state.proposed_date if state else None,
            state.promised_before_proposal if state else False,
            tracking_token,
            state.assignee if state else None,
            state.assignee_id if state else None,
        )
        return bool(inserted)

    async def load(self, chain_id: UUID, order_id: UUID) -> StoredOrder | None:
        """One round trip with the branch cached: the row, its branch's ``row_version``, the
        type's current name, whether events of the order are parked and each stage's default
        person in the branch (what ``StaffStore.defaults_for`` answers in this transaction)."""
        ahead = consumer_batches.read_ahead()
        row = None if ahead is None else ahead.pop((_AHEAD, chain_id, order_id), None)
        if row is None:
            await self._settled()
            row = await self._conn.fetchrow(_LOAD, order_id, chain_id)
        if row is None:
            return None
        if row["branch_row_version"] is None:
            raise LookupError(f"branch {row['branch_id']} of order {order_id} not found")
        if row["service_type_name"] is not None:
            self._reads.type_names[(chain_id, row["service_type"])] = row["service_type_name"]
        self._reads.stage_defaults[(chain_id, row["service_type"], row["branch_id"])] = {
            key: Person(str(user_id), name)
            for key, user_id, name in zip(
                row["default_stage_keys"] or (),
                row["default_user_ids"] or (),
                row["default_names"] or (),
                strict=True,
            )
        }
        return StoredOrder(
            order_id=row["order_id"],
            chain_id=row["chain_id"],
            branch_id=row["branch_id"],
            number=row["number"],
            service_type=row["service_type"],
            customer_name=row["customer_name"],
            lab_code=row["lab_code"],
            status=row["status"],
            risk_level=row["risk_level"],
            reopened_from=row["reopened_from"],
            tracking_token=row["tracking_token"],
            state=_state(row),
            branch=await self._branch(chain_id, row["branch_id"], row["branch_row_version"]),
            applied_seq=row["applied_seq"],
            parked_events=row["parked_events"],
        )

    async def read_ahead(self, orders: Sequence[tuple[UUID, UUID]]) -> None:
        """In a consumer batch, under the orders' locks: the rows ``load`` will read for
        ``orders`` (chain_id, order_id), in one statement (``shared.consumer_batches``: the
        first ``load`` of each in the batch takes its row; a second reads the database)."""
        ahead = consumer_batches.read_ahead()
        if ahead is None or not orders:
            return
        rows = await self._conn.fetch(
            _LOAD_MANY, [order_id for _, order_id in orders], [chain_id for chain_id, _ in orders]
        )
        for row in rows:
            ahead[(_AHEAD, row["chain_id"], row["order_id"])] = row

    async def _branch(self, chain_id: UUID, branch_id: UUID, row_version: int) -> Branch:
        """The cached branch while its ``row_version`` is the row's; else read and cached."""
        cached = self._caches.branches.get((chain_id, branch_id))
        if cached is not None and cached[0] == row_version:
            return cached[1]
        row = await self._conn.fetchrow(
            f"SELECT {BRANCH_COLUMNS}, row_version FROM branches WHERE branch_id = $1", branch_id
        )
        if row is None:
            raise LookupError(f"branch {branch_id} not found")
        branch = branch_from_row(row)
        self._caches.branches.put((chain_id, branch_id), (row["row_version"], branch))
        return branch

    async def chain_of(self, order_id: UUID) -> UUID | None:
        await self._settled()
        chain_id: UUID | None = await self._conn.fetchval(
            "SELECT chain_id FROM orders WHERE order_id = $1", order_id
        )
        return chain_id

    async def save_state(
        self,
        order_id: UUID,
        state: OrderState,
        expected_version: int,
        *,
        now: datetime,
        due_explanation: str | None = None,
        due_explanation_addendum: str | None = None,
        projection_reason: str | None = None,
        closed: bool = False,
        risk: RiskUpdate | None = None,
        applied_seq: int | None = None,
    ) -> bool:
        """One statement: the state, the risk (only while the stored level is still
        ``risk.previous``: under READ COMMITTED the row's newest version is the one checked,
        so a level the sweeper changed meanwhile is a conflict, never overwritten unseen) and
        the applied sequence. In a consumer batch it is deferred and True (the module's
        rules)."""
        values = (
            order_id,
            expected_version,
            state.status.value,
            state.stage_position,
            state.entry_sequence,
            state.stage_entered_at,
            state.stage_due_at,
            state.stage_planned_due_at,
            state.projected_completion_at,
            state.assignee,
            state.paused_at,
            state.paused_total,
            state.lab_status,
            state.lab_eta,
            state.lab_reported_at,
            state.version,
            due_explanation,
            closed,
            now,
            due_explanation_addendum,
            state.pause_reason,
            state.projected_from_lab_eta,
            projection_reason,
            state.assignee_id,
            risk is not None,
            risk.assessment.level.value if risk else None,
            risk.assessment.reason if risk else None,
            risk.assessment.next_check_at if risk else None,
            risk.previous if risk else None,
            risk.at if risk else None,
            applied_seq,
        )
        if consumer_batches.read_ahead() is not None and deferred_writes.deferring(self._conn):
            await deferred_writes.write(self._conn, ORDERS_LANE, _SAVE_CHECKED, *values)
            return True
        saved = await self._conn.fetchval(_SAVE + " RETURNING true", *values)
        return bool(saved)

    async def due_explanation(self, order_id: UUID) -> str | None:
        await self._settled()
        explanation: str | None = await self._conn.fetchval(
            "SELECT stage_due_explanation FROM orders WHERE order_id = $1", order_id
        )
        return explanation

    async def next_remake_number(self, original: StoredOrder) -> str:
        await self._settled()
        count = await self._conn.fetchval(
            "SELECT count(*) FROM orders WHERE reopened_from = $1", original.order_id
        )
        return f"{original.number}-R{count + 1}"

    async def add_timeline(self, entry: TimelineEntry) -> None:
        await deferred_writes.write(self._conn, "timeline", _TIMELINE, *_timeline_values(entry))

    async def add_timelines(self, entries: Sequence[TimelineEntry]) -> None:
        await deferred_writes.write_many(
            self._conn, "timeline", _TIMELINE, [_timeline_values(e) for e in entries]
        )

    async def enter_stage(self, chain_id: UUID, order_id: UUID, entered: StageEntered) -> None:
        """One statement: the open entry closed, the new one inserted. (Both see the same
        snapshot; they touch different rows, the new one not yet visible to the close.)"""
        await deferred_writes.write(
            self._conn,
            "stage_entries",
            """
            WITH closed AS (
                UPDATE stage_entries SET exited_at = $7
                WHERE order_id = $1 AND exited_at IS NULL
            )
            INSERT INTO stage_entries (order_id, entry_sequence, chain_id, stage_position,
                stage_key, stage_name, entered_at, planned_due_at, due_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT DO NOTHING
            """,
            order_id,
            entered.entry_sequence,
            chain_id,
            entered.to_position,
            entered.to_stage.key,
            entered.to_stage.name,
            entered.entered_at,
            entered.deadline.due_at,
        )

    async def close_stage(self, order_id: UUID, at: datetime) -> None:
        await deferred_writes.write(
            self._conn,
            "stage_entries",
            "UPDATE stage_entries SET exited_at = $2 WHERE order_id = $1 AND exited_at IS NULL",
            order_id,
            at,
        )

    async def move_stage_due(self, order_id: UUID, due_at: datetime) -> None:
        await deferred_writes.write(
            self._conn,
            "stage_entries",
            "UPDATE stage_entries SET due_at = $2 WHERE order_id = $1 AND exited_at IS NULL",
            order_id,
            due_at,
        )

    async def add_lab_update(self, update: LabUpdate) -> None:
        await self._conn.execute(
            """
            INSERT INTO lab_updates (chain_id, order_id, lab_code, status, eta, reported_at,
                received_at, applied, note)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            """,
            update.chain_id,
            update.order_id,
            update.lab_code,
            update.status,
            update.eta,
            update.reported_at,
            update.received_at,
            update.applied,
            update.note,
        )

    async def upsert_message(self, message: MessageStatus) -> None:
        await self._conn.execute(
            """
            INSERT INTO order_messages (notification_id, chain_id, order_id, entry_sequence,
                status, reason, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (notification_id) DO UPDATE SET status = EXCLUDED.status,
                reason = EXCLUDED.reason, updated_at = EXCLUDED.updated_at
            WHERE order_messages.updated_at <= EXCLUDED.updated_at
            """,
            message.notification_id,
            message.chain_id,
            message.order_id,
            message.entry_sequence,
            message.status,
            message.reason,
            message.updated_at,
        )

    async def record_message(self, message: MessageStatus, entry: TimelineEntry) -> bool:
        """One statement: the order checked, the message kept, the timeline entry added."""
        await self._settled()
        known = await self._conn.fetchval(
            """
            WITH known AS (
                SELECT order_id FROM orders WHERE order_id = $2 AND chain_id = $1
            ), message AS (
                INSERT INTO order_messages (notification_id, chain_id, order_id,
                    entry_sequence, status, reason, updated_at)
                SELECT $3, $1, order_id, $4, $5, $6, $7 FROM known
                ON CONFLICT (notification_id) DO UPDATE SET status = EXCLUDED.status,
                    reason = EXCLUDED.reason, updated_at = EXCLUDED.updated_at
                WHERE order_messages.updated_at <= EXCLUDED.updated_at
            ), entry AS (
                INSERT INTO timeline (chain_id, order_id, occurred_at, actor, kind, summary,
                    detail)
                SELECT $1, order_id, $8, $9, $10, $11, $12 FROM known
            )
            SELECT count(*) FROM known
            """,
            message.chain_id,
            message.order_id,
            message.notification_id,
            message.entry_sequence,
            message.status,
            message.reason,
            message.updated_at,
            entry.occurred_at,
            entry.actor,
            entry.kind,
            entry.summary,
            entry.detail,
        )
        return bool(known)

    async def history(self, order_id: UUID) -> OrderHistory:
        stages = await self._conn.fetch(
            """
            SELECT entry_sequence, stage_position, stage_key, stage_name, entered_at,
                planned_due_at, due_at, exited_at
            FROM stage_entries WHERE order_id = $1 ORDER BY entry_sequence
            """,
            order_id,
        )
        timeline = await self._conn.fetch(
            "SELECT chain_id, order_id, occurred_at, actor, kind, summary, detail "
            "FROM timeline WHERE order_id = $1 ORDER BY occurred_at, id",
            order_id,
        )
        lab_updates = await self._conn.fetch(
            "SELECT chain_id, order_id, lab_code, status, eta, reported_at, received_at, "
            "applied, note FROM lab_updates WHERE order_id = $1 ORDER BY id",
            order_id,
        )
        messages = await self._conn.fetch(
            "SELECT chain_id, order_id, notification_id, entry_sequence, status, reason, "
            "updated_at FROM order_messages WHERE order_id = $1 "
            "ORDER BY entry_sequence, updated_at",
            order_id,
        )
        return OrderHistory(
            stages=tuple(StageEntry(**dict(r)) for r in stages),
            timeline=tuple(TimelineEntry(**dict(r)) for r in timeline),
            lab_updates=tuple(LabUpdate(**dict(r)) for r in lab_updates),
            messages=tuple(MessageStatus(**dict(r)) for r in messages),
        )

    async def set_risk(self, order_id: UUID, assessment: RiskAssessment, now: datetime) -> str:
        """One statement: the subquery locks the row (and, under READ COMMITTED, reads its
        newest version once a concurrent writer commits), so the level it returns is the one
        this update replaces."""
        await self._settled()
        previous: str = await self._conn.fetchval(
            """
            UPDATE orders o SET risk_level = $2, risk_reason = $3, risk_check_at = $4,
                risk_changed_at = CASE WHEN o.risk_level = $2 THEN o.risk_changed_at ELSE $5 END
            FROM (SELECT order_id, risk_level FROM orders WHERE order_id = $1 FOR UPDATE) old
            WHERE o.order_id = old.order_id
            RETURNING old.risk_level
            """,
            order_id,
            assessment.level.value,
            assessment.reason,
            assessment.next_check_at,
            now,
        )
        return previous

    async def risk(self, order_id: UUID) -> OrderRisk | None:
        await self._settled()
        row = await self._conn.fetchrow(
            "SELECT risk_level, risk_reason, risk_check_at, risk_changed_at FROM orders "
            "WHERE order_id = $1",
            order_id,
        )
        if row is None:
            return None
        return OrderRisk(
            level=row["risk_level"],
            reason=row["risk_reason"],
            check_at=row["risk_check_at"],
            changed_at=row["risk_changed_at"],
        )

    async def due_for_risk_check(self, now: datetime, limit: int) -> list[UUID]:
        await self._settled()
        rows = await self._conn.fetch(
            """
            SELECT order_id FROM orders
            WHERE risk_check_at <= $1 AND status IN ('in_progress', 'paused')
            ORDER BY risk_check_at FOR UPDATE SKIP LOCKED LIMIT $2
            """,
            now,
            limit,
        )
        return [r["order_id"] for r in rows]

    async def postpone_risk_check(self, order_id: UUID, until: datetime) -> None:
        await self._settled()
        await self._conn.execute(
            "UPDATE orders SET risk_check_at = $2 WHERE order_id = $1", order_id, until
        )

    async def _settled(self) -> None:
        """Before ``orders`` is read or written at once here: the batch's pending state saves
        sent, so what is read is what the batch decided."""
        await deferred_writes.send(self._conn, ORDERS_LANE)


def _timeline_values(entry: TimelineEntry) -> tuple[object, ...]:
    return (
        entry.chain_id,
        entry.order_id,
        entry.occurred_at,
        entry.actor,
        entry.kind,
        entry.summary,
        entry.detail,
    )


def national_digits(phone: str | None) -> str | None:
    """``+5511987654321`` → ``11987654321``: what people type, whatever the punctuation."""
    if not phone:
        return None
    digits = "".join(c for c in phone if c.isdigit())
    return digits[2:] if phone.startswith("+55") else digits


def _state(row: asyncpg.Record) -> OrderState | None:
    if row["status"] not in State.__members__.values() or row["flow_version"] is None:
        return None
    return OrderState(
        status=State(row["status"]),
        flow_version=row["flow_version"],
        stage_position=row["stage_position"],
        entry_sequence=row["entry_sequence"],
        stage_entered_at=row["stage_entered_at"],
        stage_due_at=row["stage_due_at"],
        stage_planned_due_at=row["stage_planned_due_at"] or row["stage_due_at"],
        projected_completion_at=row["projected_completion_at"],
        promised_date=row["promised_date"],
        promised_date_proposed=row["promised_date_proposed"],
        assignee=row["assignee"],
        assignee_id=str(row["assignee_id"]) if row["assignee_id"] else None,
        paused_at=row["paused_at"],
        paused_total=row["paused_total"],
        lab_status=row["lab_status"],
        lab_eta=row["lab_eta"],
        # -infinity (stored from a year-1 lab time before intake refused them) comes back
        # naive: unknown, rather than a time no aware one can be compared with
        lab_reported_at=_aware(row["lab_reported_at"]),
        pause_reason=row["pause_reason"],
        projected_from_lab_eta=row["projected_from_lab_eta"],
        version=row["version"],
    )


def _aware(value: datetime | None) -> datetime | None:
    return value if value is not None and value.tzinfo is not None else None
