-- depends: 0002.providers-consent-hours
-- Opt-outs by who set them (issue 15): a customer's reply (set_by_chain NULL) applies to the
-- number everywhere; a chain's staff opt-out (set_by_chain = the chain) applies to that chain
-- only. A number may have one of each kind per chain, so the phone is no longer the key.
ALTER TABLE opt_outs DROP CONSTRAINT opt_outs_pkey;
ALTER TABLE opt_outs ADD CONSTRAINT opt_outs_scope
    CHECK ((source = 'reply') = (set_by_chain IS NULL));
CREATE UNIQUE INDEX opt_outs_reply ON opt_outs (phone) WHERE set_by_chain IS NULL;
CREATE UNIQUE INDEX opt_outs_staff ON opt_outs (set_by_chain, phone) WHERE set_by_chain IS NOT NULL;
DROP INDEX opt_outs_by_chain;
