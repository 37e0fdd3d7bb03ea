-- depends: 0005.order-event-sequence
-- Order engine v2: why the order is paused (for what the pause gives back), what the projected
-- completion follows (the stage's due time or the lab's forecast), the promised date against
-- the proposal, and the timeline's arrival time beside when each entry happened.

ALTER TABLE orders
    ADD COLUMN pause_reason                 text,
    ADD COLUMN projected_from_lab_eta       date,
    ADD COLUMN projected_completion_reason  text,
    ADD COLUMN proposed_date                date,
    ADD COLUMN promised_before_proposal     boolean NOT NULL DEFAULT false;

ALTER TABLE timeline ADD COLUMN recorded_at timestamptz;
UPDATE timeline SET recorded_at = occurred_at;
ALTER TABLE timeline ALTER COLUMN recorded_at SET DEFAULT now();
CREATE INDEX timeline_by_order_time ON timeline (order_id, occurred_at, id);
