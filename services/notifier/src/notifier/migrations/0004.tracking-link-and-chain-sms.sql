-- depends: 0003.opt-outs-per-chain
-- The customer's link token and the stage's customer name travel with each stage message;
-- a chain may ask for its SMS in GSM-7 only (accents transliterated: half the cost).

ALTER TABLE messages
    ADD COLUMN tracking_token       text,
    ADD COLUMN customer_stage_name  text;

CREATE TABLE chain_sms_settings (
    chain_id      uuid PRIMARY KEY,
    transliterate boolean NOT NULL DEFAULT false,
    updated_at    timestamptz NOT NULL,
    updated_by    text
);
