-- depends: 0000.messaging
-- Notifier's own data: customer contacts (its copy) and every message with its status.

CREATE TABLE contacts (
    order_id        uuid PRIMARY KEY,
    chain_id        uuid NOT NULL,
    branch_id       uuid NOT NULL,
    order_number    text NOT NULL,
    customer_name   text NOT NULL,
    phone           text NOT NULL,
    sms_consent     boolean NOT NULL,
    branch_name     text NOT NULL,
    branch_phone    text,
    updated_at      timestamptz NOT NULL
);

CREATE TABLE messages (
    notification_id      uuid PRIMARY KEY,
    chain_id             uuid NOT NULL,
    order_id             uuid NOT NULL,
    branch_id            uuid NOT NULL,
    order_number         text NOT NULL,
    entry_sequence       integer NOT NULL,
    stage_key            text NOT NULL,
    stage_name           text NOT NULL,
    template             text NOT NULL,
    promised_date        date,
    forecast_date        date,
    body                 text,
    phone                text,
    status               text NOT NULL DEFAULT 'pending',
    status_reason        text,
    provider             text,
    provider_message_id  text,
    attempts             integer NOT NULL DEFAULT 0,
    next_attempt_at      timestamptz NOT NULL DEFAULT now(),
    locked_until         timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    sent_at              timestamptz,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    -- exactly once per stage entry: the send key
    UNIQUE (order_id, entry_sequence)
);
CREATE INDEX messages_due ON messages (next_attempt_at) WHERE status IN ('pending', 'sending');
CREATE INDEX messages_by_order ON messages (order_id, entry_sequence);
