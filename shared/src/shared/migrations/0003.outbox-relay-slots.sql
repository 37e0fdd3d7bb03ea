-- Relay slots (shared/outbox.py): every event of one order, or a chain's events about no order,
-- share a slot; one relay at a time publishes a slot, in id order, and the relays of several
-- replicas publish different slots at once. Rows written before: slot 0.

ALTER TABLE outbox ADD COLUMN relay_slot smallint NOT NULL DEFAULT 0;

-- The slots with due rows (wanted) and those this relay takes for its batch: from its own
-- starting slot on, each one no other relay holds (a transaction-scoped advisory lock), until
-- the slots taken hold a batch. The rest are left to the other relays, or the next round.
CREATE FUNCTION outbox_relay_slots(
    lock_space integer, slot_count integer, first_slot integer, batch_size integer,
    OUT wanted smallint[], OUT taken smallint[]
) LANGUAGE plpgsql AS $$
DECLARE
    due record;
    rows_taken bigint := 0;
BEGIN
    wanted := '{}';
    taken := '{}';
    FOR due IN
        SELECT relay_slot AS slot, count(*) AS due_rows FROM outbox
        WHERE published_at IS NULL AND next_attempt_at <= now()
        GROUP BY relay_slot ORDER BY (relay_slot + first_slot) % slot_count
    LOOP
        wanted := wanted || due.slot;
        IF rows_taken < batch_size AND pg_try_advisory_xact_lock(lock_space, due.slot) THEN
            taken := taken || due.slot;
            rows_taken := rows_taken + due.due_rows;
        END IF;
    END LOOP;
END
$$;
