-- depends: 0000.messaging
-- Workflow's own data: branch copies, flows and their versions, order state and timelines.

CREATE TABLE branches (
    branch_id   uuid PRIMARY KEY,
    chain_id    uuid NOT NULL,
    code        text NOT NULL,
    name        text NOT NULL,
    state       char(2) NOT NULL,
    city        text NOT NULL,
    timezone    text NOT NULL,
    phone       text,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE service_types (
    chain_id    uuid NOT NULL,
    code        text NOT NULL,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (chain_id, code)
);

CREATE TABLE flow_versions (
    chain_id      uuid NOT NULL,
    service_type  text NOT NULL,
    version       integer NOT NULL,
    stages        jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (chain_id, service_type, version),
    FOREIGN KEY (chain_id, service_type) REFERENCES service_types (chain_id, code)
);

CREATE TABLE orders (
    order_id                 uuid PRIMARY KEY,
    chain_id                 uuid NOT NULL,
    branch_id                uuid NOT NULL REFERENCES branches (branch_id),
    number                   text NOT NULL,
    service_type             text NOT NULL,
    flow_version             integer,
    customer_name            text NOT NULL,
    lab_code                 text,
    status                   text NOT NULL,
    status_reason            text,
    stage_position           integer,
    entry_sequence           integer NOT NULL DEFAULT 0,
    stage_entered_at         timestamptz,
    stage_due_at             timestamptz,
    stage_due_explanation    text,
    projected_completion_at  timestamptz,
    promised_date            date,
    promised_date_proposed   boolean NOT NULL DEFAULT false,
    opened_at                timestamptz NOT NULL,
    updated_at               timestamptz NOT NULL,
    version                  integer NOT NULL DEFAULT 1
);
CREATE INDEX orders_by_chain_branch ON orders (chain_id, branch_id, opened_at DESC);

CREATE TABLE timeline (
    id           bigserial PRIMARY KEY,
    chain_id     uuid NOT NULL,
    order_id     uuid NOT NULL REFERENCES orders (order_id),
    occurred_at  timestamptz NOT NULL,
    actor        text NOT NULL,
    kind         text NOT NULL,
    summary      text NOT NULL,
    detail       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX timeline_by_order ON timeline (order_id, id);
