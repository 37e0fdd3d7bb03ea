-- depends: 0004.tracking-link-and-chain-sms
-- Each message keeps its order's correlation id (from the stage change), so the SMS's log lines
-- and status events carry the id the counter gave the order, and the W3C trace context of the
-- stage change, so the dispatcher's send continues the order's trace. NULL for older rows.

ALTER TABLE messages
    ADD COLUMN correlation_id text,
    ADD COLUMN trace_context jsonb;
