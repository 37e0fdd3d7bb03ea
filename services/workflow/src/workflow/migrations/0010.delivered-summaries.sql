-- depends: 0009.stage-responsibles
-- One compact row per delivered order for the what-if and the review (docs/what-if.md): what
-- the history read used to gather from every stage entry — seconds per stage key (summed over
-- re-entries, keys in the order first entered), the stages with a stay that ended past its due
-- time and the one furthest past — written when the order is delivered, in the same
-- transaction (a deferred trigger: it runs at commit, after the last stay has been closed).

CREATE TABLE delivered_summaries (
    order_id        uuid PRIMARY KEY REFERENCES orders (order_id),
    chain_id        uuid NOT NULL,
    service_type    text NOT NULL,
    branch_id       uuid NOT NULL,
    number          text NOT NULL,
    flow_version    integer,
    opened_at       timestamptz NOT NULL,
    closed_at       timestamptz NOT NULL,
    promised_date   date,
    lab_code        text,
    paused_seconds  float8,
    stage_keys      text[] NOT NULL,
    stage_seconds   float8[] NOT NULL,
    late_keys       text[] NOT NULL,
    late_stage      text
);
CREATE INDEX delivered_summaries_by_type ON delivered_summaries (chain_id, service_type, closed_at);

-- The summary of every delivered order, from its row and its closed stays: the same figures
-- (same float8 expressions, summed in entry order) the per-entry read computes.
CREATE VIEW delivered_summary_source AS
SELECT o.order_id, o.chain_id, o.service_type, o.branch_id, o.number, o.flow_version,
       o.opened_at, o.closed_at, o.promised_date, o.lab_code,
       extract(epoch FROM o.paused_total)::float8 AS paused_seconds,
       coalesce(k.keys, '{}') AS stage_keys, coalesce(k.seconds, '{}') AS stage_seconds,
       coalesce(l.keys, '{}') AS late_keys, l.worst AS late_stage
FROM orders o
LEFT JOIN LATERAL (
    SELECT array_agg(g.stage_key ORDER BY g.first) AS keys,
           array_agg(g.seconds ORDER BY g.first) AS seconds
    FROM (
        SELECT s.stage_key, min(s.entry_sequence) AS first,
               sum(extract(epoch FROM s.exited_at - s.entered_at)::float8
                   ORDER BY s.entry_sequence) AS seconds
        FROM stage_entries s WHERE s.order_id = o.order_id AND s.exited_at IS NOT NULL
        GROUP BY s.stage_key
    ) g
) k ON true
LEFT JOIN LATERAL (
    SELECT array_agg(DISTINCT s.stage_key) AS keys,
           (array_agg(s.stage_key ORDER BY extract(epoch FROM s.exited_at - s.due_at)::float8 DESC,
                                        s.entry_sequence))[1]
               AS worst
    FROM stage_entries s
    WHERE s.order_id = o.order_id AND s.exited_at IS NOT NULL AND s.exited_at > s.due_at
) l ON true
WHERE o.status = 'delivered' AND o.closed_at IS NOT NULL;

-- Rewrite the summaries of these orders (none for an order no longer delivered).
CREATE FUNCTION write_delivered_summaries(ids uuid[]) RETURNS void LANGUAGE sql AS $$
    DELETE FROM delivered_summaries WHERE order_id = ANY(ids);
    INSERT INTO delivered_summaries SELECT * FROM delivered_summary_source
    WHERE order_id = ANY(ids);
$$;

CREATE FUNCTION orders_write_delivered_summary() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM write_delivered_summaries(ARRAY[NEW.order_id]);
    RETURN NULL;
END
$$;

-- Deferred to commit: the delivery closes the last stay after it sets the status. A delivered
-- order's row or stays corrected later rewrite its summary; an order no longer delivered
-- loses it.
CREATE CONSTRAINT TRIGGER orders_delivered_summary AFTER UPDATE ON orders
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN ((NEW.status = 'delivered' OR OLD.status = 'delivered')
          AND (OLD.status, OLD.closed_at, OLD.opened_at, OLD.promised_date, OLD.lab_code,
               OLD.paused_total, OLD.branch_id, OLD.number, OLD.flow_version, OLD.service_type)
              IS DISTINCT FROM
              (NEW.status, NEW.closed_at, NEW.opened_at, NEW.promised_date, NEW.lab_code,
               NEW.paused_total, NEW.branch_id, NEW.number, NEW.flow_version, NEW.service_type))
    EXECUTE FUNCTION orders_write_delivered_summary();

CREATE FUNCTION stage_entries_write_delivered_summary() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM orders WHERE order_id = NEW.order_id AND status = 'delivered') THEN
        PERFORM write_delivered_summaries(ARRAY[NEW.order_id]);
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER stage_entries_delivered_summary AFTER UPDATE ON stage_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN ((OLD.stage_key, OLD.entered_at, OLD.due_at, OLD.exited_at)
          IS DISTINCT FROM (NEW.stage_key, NEW.entered_at, NEW.due_at, NEW.exited_at))
    EXECUTE FUNCTION stage_entries_write_delivered_summary();

-- The history delivered before this migration.
INSERT INTO delivered_summaries SELECT * FROM delivered_summary_source;
