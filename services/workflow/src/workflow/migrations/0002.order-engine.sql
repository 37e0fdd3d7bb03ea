-- depends: 0001.flows-calendars-orders
-- The order engine: the machine's state on the order, the risk timer, remake links, and the
-- order's history (stage entries, lab updates, customer messages) for reads and analytics.

ALTER TABLE orders
    ADD COLUMN stage_planned_due_at  timestamptz,
    ADD COLUMN assignee              text,
    ADD COLUMN paused_at             timestamptz,
    ADD COLUMN paused_total          interval NOT NULL DEFAULT interval '0',
    ADD COLUMN lab_status            text,
    ADD COLUMN lab_eta               date,
    ADD COLUMN lab_reported_at       timestamptz,
    ADD COLUMN risk_level            text NOT NULL DEFAULT 'on_track',
    ADD COLUMN risk_reason           text,
    ADD COLUMN risk_changed_at       timestamptz,
    ADD COLUMN risk_check_at         timestamptz,
    ADD COLUMN reopened_from         uuid REFERENCES orders (order_id),
    ADD COLUMN reopen_kind           text,
    ADD COLUMN closed_at             timestamptz;

UPDATE orders SET stage_planned_due_at = stage_due_at,
    risk_check_at = CASE WHEN status = 'in_progress' THEN now() END;

-- The sweeper's timers: due rows first, open orders only.
CREATE INDEX orders_risk_timer ON orders (risk_check_at) WHERE risk_check_at IS NOT NULL;
CREATE INDEX orders_reopened_from ON orders (reopened_from) WHERE reopened_from IS NOT NULL;
CREATE INDEX orders_closed ON orders (chain_id, closed_at) WHERE closed_at IS NOT NULL;

-- One row per stage entry (entry_sequence), closed when the order leaves the stage.
CREATE TABLE stage_entries (
    order_id        uuid NOT NULL REFERENCES orders (order_id),
    entry_sequence  integer NOT NULL,
    chain_id        uuid NOT NULL,
    stage_position  integer NOT NULL,
    stage_key       text NOT NULL,
    stage_name      text NOT NULL,
    entered_at      timestamptz NOT NULL,
    planned_due_at  timestamptz NOT NULL,
    due_at          timestamptz NOT NULL,
    exited_at       timestamptz,
    PRIMARY KEY (order_id, entry_sequence)
);
CREATE INDEX stage_entries_by_chain ON stage_entries (chain_id, entered_at);

INSERT INTO stage_entries (order_id, entry_sequence, chain_id, stage_position, stage_key,
    stage_name, entered_at, planned_due_at, due_at)
SELECT o.order_id, o.entry_sequence, o.chain_id, o.stage_position,
    v.stages -> o.stage_position ->> 'key', v.stages -> o.stage_position ->> 'name',
    o.stage_entered_at, o.stage_due_at, o.stage_due_at
FROM orders o JOIN flow_versions v ON v.chain_id = o.chain_id
    AND v.service_type = o.service_type AND v.version = o.flow_version
WHERE o.stage_position IS NOT NULL AND o.stage_entered_at IS NOT NULL;

-- Every lab report, applied or not (a stale or refused one says why).
CREATE TABLE lab_updates (
    id           bigserial PRIMARY KEY,
    chain_id     uuid NOT NULL,
    order_id     uuid NOT NULL REFERENCES orders (order_id),
    lab_code     text NOT NULL,
    status       text NOT NULL,
    eta          date,
    reported_at  timestamptz NOT NULL,
    received_at  timestamptz NOT NULL,
    applied      boolean NOT NULL,
    note         text
);
CREATE INDEX lab_updates_by_order ON lab_updates (order_id, id);

-- The customer messages of an order and their latest status (from notification.status.v1).
CREATE TABLE order_messages (
    notification_id  uuid PRIMARY KEY,
    chain_id         uuid NOT NULL,
    order_id         uuid NOT NULL REFERENCES orders (order_id),
    entry_sequence   integer NOT NULL,
    status           text NOT NULL,
    reason           text,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX order_messages_by_order ON order_messages (order_id);
