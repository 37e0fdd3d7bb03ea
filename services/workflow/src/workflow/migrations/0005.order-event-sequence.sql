-- depends: 0004.order-search-phone
-- An order's events are applied in the order intake accepted them (``order_seq``): the order
-- keeps the last one applied, and one that arrives early waits here until the gap fills.

ALTER TABLE orders ADD COLUMN applied_seq integer NOT NULL DEFAULT 1;

CREATE TABLE parked_order_events (
    order_id     uuid NOT NULL,
    order_seq    integer NOT NULL,
    chain_id     uuid NOT NULL,
    routing_key  text NOT NULL,
    message_id   uuid NOT NULL,
    payload      jsonb NOT NULL,
    parked_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, order_seq)
);
CREATE INDEX parked_order_events_by_age ON parked_order_events (parked_at);
