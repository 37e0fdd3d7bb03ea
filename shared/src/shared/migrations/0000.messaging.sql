-- The outbox and inbox every service keeps in its own database.

CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    message_id      uuid NOT NULL UNIQUE,
    chain_id        uuid NOT NULL,
    routing_key     text NOT NULL,
    payload         jsonb NOT NULL,
    correlation_id  text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    published_at    timestamptz,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

CREATE TABLE inbox (
    consumer    text NOT NULL,
    message_id  uuid NOT NULL,
    chain_id    uuid NOT NULL,
    handled_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);
