-- Every service: the moment from which each changed user's tokens count (user.changed.v1).

CREATE TABLE token_validity (
    user_id     uuid PRIMARY KEY,
    chain_id    uuid NOT NULL,
    valid_since timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX token_validity_recorded ON token_validity (recorded_at);
