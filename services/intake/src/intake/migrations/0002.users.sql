-- depends: 0001.directory-and-orders
-- Staff who sign in: one chain each, a role, and the branches the role applies to.

CREATE TABLE users (
    user_id        uuid PRIMARY KEY,
    chain_id       uuid NOT NULL REFERENCES chains (chain_id),
    email          text NOT NULL,
    name           text NOT NULL,
    role           text NOT NULL CHECK (role IN ('chain_admin', 'branch_manager', 'attendant', 'viewer')),
    branch_ids     uuid[] NOT NULL DEFAULT '{}',
    password_hash  text NOT NULL,
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_by_email ON users (lower(email));
CREATE INDEX users_by_chain ON users (chain_id, name);
