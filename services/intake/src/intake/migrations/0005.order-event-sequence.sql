-- depends: 0004.remakes
-- Each order's events are numbered: the opening is 1, and every action or lab status intake
-- accepts for the order takes the next number in the transaction that writes its event, so
-- workflow can apply them in the order they were accepted (``order_seq``).

ALTER TABLE orders ADD COLUMN event_seq integer NOT NULL DEFAULT 1;
