-- depends: 0000.messaging
-- Intake's own data: the chain directory and order registrations.

CREATE TABLE chains (
    chain_id    uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE branches (
    branch_id       uuid PRIMARY KEY,
    chain_id        uuid NOT NULL REFERENCES chains (chain_id),
    code            text NOT NULL,
    name            text NOT NULL,
    state           char(2) NOT NULL,
    city            text NOT NULL,
    timezone        text NOT NULL,
    phone           text,
    sms_starts_at   time NOT NULL DEFAULT '08:00',
    sms_ends_at     time NOT NULL DEFAULT '20:00',
    sms_weekdays    smallint[] NOT NULL DEFAULT '{0,1,2,3,4,5}',
    next_order_seq  integer NOT NULL DEFAULT 1,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (chain_id, code)
);

CREATE TABLE orders (
    order_id            uuid PRIMARY KEY,
    chain_id            uuid NOT NULL REFERENCES chains (chain_id),
    branch_id           uuid NOT NULL REFERENCES branches (branch_id),
    seq                 integer NOT NULL,
    number              text NOT NULL,
    service_type        text NOT NULL,
    customer_name       text NOT NULL,
    customer_phone      text NOT NULL,
    sms_consent         boolean NOT NULL,
    items               jsonb NOT NULL DEFAULT '[]',
    promised_date       date,
    lab_code            text,
    notes               text,
    external_reference  text,
    opened_at           timestamptz NOT NULL,
    UNIQUE (branch_id, seq),
    UNIQUE (chain_id, number)
);
CREATE INDEX orders_by_chain ON orders (chain_id, opened_at DESC);

CREATE TABLE idempotency_keys (
    chain_id      uuid NOT NULL,
    key           text NOT NULL,
    request_hash  text NOT NULL,
    order_id      uuid NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (chain_id, key)
);
