-- depends: 0001.directory-and-orders
-- Service types as workflow publishes them, labs and their API keys, lab messages (raw, with
-- their outcome), staff actions on orders.

CREATE TABLE service_types (
    chain_id      uuid NOT NULL,
    code          text NOT NULL,
    name          text NOT NULL,
    flow_version  integer NOT NULL,
    active        boolean NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (chain_id, code)
);

CREATE TABLE labs (
    lab_id      uuid PRIMARY KEY,
    chain_id    uuid NOT NULL REFERENCES chains (chain_id),
    code        text NOT NULL UNIQUE,  -- the broker identity: routing key lab.<code>.status
    name        text NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX labs_by_chain ON labs (chain_id, code);

CREATE TABLE lab_api_keys (
    key_id      uuid PRIMARY KEY,
    lab_id      uuid NOT NULL REFERENCES labs (lab_id),
    key_hash    bytea NOT NULL UNIQUE,  -- sha256 of the key; the key itself is never stored
    key_prefix  text NOT NULL,          -- first characters, so people can tell keys apart
    label       text,
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX lab_api_keys_by_lab ON lab_api_keys (lab_id, created_at);

ALTER TABLE orders ADD COLUMN lab_order_number text;

CREATE TABLE lab_messages (
    lab_message_id  uuid PRIMARY KEY,
    received_at     timestamptz NOT NULL,
    via             text NOT NULL CHECK (via IN ('amqp', 'http')),
    routing_key     text,
    lab_code        text,  -- the sender: the routing key's lab, or the API key's lab
    chain_id        uuid,  -- NULL while the sender is no registered lab
    message_id      text,  -- the lab's own id, when the body carries one
    body            bytea NOT NULL,
    status          text NOT NULL CHECK (status IN ('accepted', 'rejected', 'replayed', 'stale')),
    reason          text,
    order_id        uuid,
    occurred_at     timestamptz,
    attempts        integer NOT NULL DEFAULT 1,
    last_attempt_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX lab_messages_once ON lab_messages (lab_code, message_id)
    WHERE lab_code IS NOT NULL AND message_id IS NOT NULL;
CREATE INDEX lab_messages_by_chain ON lab_messages (chain_id, status, received_at DESC);

-- The latest applied lab status per order and lab: an older message never moves an order back.
CREATE TABLE lab_order_progress (
    order_id            uuid NOT NULL REFERENCES orders (order_id),
    lab_code            text NOT NULL,
    latest_occurred_at  timestamptz NOT NULL,
    lab_message_id      uuid NOT NULL,
    PRIMARY KEY (order_id, lab_code)
);

CREATE TABLE order_actions (
    action_id     uuid PRIMARY KEY,
    chain_id      uuid NOT NULL,
    order_id      uuid NOT NULL REFERENCES orders (order_id),
    kind          text NOT NULL,
    actor         text NOT NULL,
    reason        text,
    target_stage  text,
    assignee      text,
    note          text,
    reopen_kind   text,
    requested_at  timestamptz NOT NULL
);
CREATE INDEX order_actions_by_order ON order_actions (order_id, requested_at);

CREATE TABLE action_idempotency_keys (
    chain_id      uuid NOT NULL,
    key           text NOT NULL,
    request_hash  text NOT NULL,
    action_id     uuid NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (chain_id, key)
);
