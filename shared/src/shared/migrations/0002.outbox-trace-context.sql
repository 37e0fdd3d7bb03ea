-- The trace context (W3C traceparent…) of the change that wrote an outbox row, so the relay
-- publishes the event inside the same trace (shared/tracing.py). NULL while tracing is off.

ALTER TABLE outbox ADD COLUMN trace_context jsonb;
