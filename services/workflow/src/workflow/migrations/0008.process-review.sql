-- depends: 0007.tracking
-- Process review: each service type's process owner and review cadence, the reviews recorded,
-- and an index for the history the what-if and the review read (delivered orders by type).

ALTER TABLE service_types
    ADD COLUMN process_owner       uuid,
    ADD COLUMN process_owner_name  text,
    ADD COLUMN review_cadence      text CHECK (review_cadence IN ('daily', 'weekly', 'monthly', 'quarterly')),
    ADD COLUMN owner_since         timestamptz;

CREATE TABLE process_reviews (
    review_id             uuid PRIMARY KEY,
    chain_id              uuid NOT NULL,
    service_type          text NOT NULL,
    reviewed_by           uuid NOT NULL,
    reviewed_by_name      text NOT NULL,
    reviewed_at           timestamptz NOT NULL,
    period_from           date NOT NULL,
    period_to             date NOT NULL,
    findings              text NOT NULL,
    decisions             text NOT NULL,
    flow_version          integer NOT NULL,
    resulting_version     integer,
    figures               jsonb NOT NULL DEFAULT '{}',
    FOREIGN KEY (chain_id, service_type) REFERENCES service_types (chain_id, code)
);
CREATE INDEX process_reviews_by_type ON process_reviews (chain_id, service_type, reviewed_at DESC);

CREATE INDEX orders_delivered_by_type ON orders (chain_id, service_type, closed_at)
    WHERE status = 'delivered';
