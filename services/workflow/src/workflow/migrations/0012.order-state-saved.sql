-- depends: 0011.branch-row-version
-- A consumer batch sends its orders' new states together, just before its commit, as one
-- pipelined run that reads no answers (``adapters.postgres.orders``, ``save_state``). Each
-- statement calls this with the rows its UPDATE wrote: none means the order changed since the
-- batch read it (the risk sweeper changed its level meanwhile), and the error rolls the batch
-- back, to be applied again message by message, where a conflict is read and retried.

CREATE FUNCTION order_state_saved(saved bigint, order_id uuid) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF saved <> 1 THEN
        RAISE EXCEPTION 'order % changed after its batch read it', order_id
            USING ERRCODE = 'serialization_failure';
    END IF;
END
$$;
