-- depends: 0006.engine-v2
-- The customer's tracking link: a random token per order (never derived from the order id),
-- and what the public page shows of the branch and its chain (kept from branch.upserted).

-- The engine gives every new order secrets.token_urlsafe(8). Orders opened before this
-- migration (and rows written by hand) get the column default: 8 bytes of gen_random_uuid()'s
-- strong randomness (bytes 1-6 of two v4 UUIDs, before the version nibble), base64url without
-- padding, 11 characters like the engine's.
CREATE FUNCTION new_tracking_token() RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT translate(rtrim(encode(
        substr(uuid_send(gen_random_uuid()), 1, 6) || substr(uuid_send(gen_random_uuid()), 1, 2),
        'base64'), '='), '+/', '-_')
$$;

ALTER TABLE orders ADD COLUMN tracking_token text NOT NULL DEFAULT new_tracking_token();
CREATE UNIQUE INDEX orders_tracking_token ON orders (tracking_token);

ALTER TABLE branches
    ADD COLUMN chain_name     text,
    ADD COLUMN address        text,
    ADD COLUMN opening_hours  text;
