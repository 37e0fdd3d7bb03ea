-- depends: 0007.tracking
-- A responsible person for every step: workflow's copy of the chain's people (from intake's
-- user.upserted), each stage's default person per branch, and the order's assignee as a person.

CREATE TABLE staff (
    user_id     uuid PRIMARY KEY,
    chain_id    uuid NOT NULL,
    name        text NOT NULL,
    role        text NOT NULL,
    branch_ids  uuid[] NOT NULL DEFAULT '{}',
    active      boolean NOT NULL DEFAULT true,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX staff_chain ON staff (chain_id);

-- Keyed by the stage's key, not by flow version: a new version keeps its stages' people, and
-- a person who leaves is replaced without a new version.
CREATE TABLE stage_responsibles (
    chain_id      uuid NOT NULL,
    service_type  text NOT NULL,
    stage_key     text NOT NULL,
    branch_id     uuid NOT NULL,
    user_id       uuid NOT NULL,
    set_by        text NOT NULL,
    set_at        timestamptz NOT NULL,
    PRIMARY KEY (chain_id, service_type, stage_key, branch_id)
);

ALTER TABLE orders ADD COLUMN assignee_id uuid;
CREATE INDEX orders_assignee ON orders (chain_id, assignee_id) WHERE assignee_id IS NOT NULL;

-- Cities: a chain imports the municipal holidays of a city that is not a capital (or replaces
-- a capital's built-in list). Each branch of the chain in that city carries a copy
-- (branches.city_holidays), so its calendar is built from the row alone and the cache sees
-- the change through calendar_revision.
CREATE TABLE city_holiday_imports (
    chain_id     uuid NOT NULL,
    state        char(2) NOT NULL,
    city_key     text NOT NULL,
    city_name    text NOT NULL,
    day          date NOT NULL,
    name         text NOT NULL,
    source       text NOT NULL,
    imported_by  text NOT NULL,
    imported_at  timestamptz NOT NULL,
    PRIMARY KEY (chain_id, state, city_key, day, name)
);

ALTER TABLE branches ADD COLUMN city_holidays jsonb;
