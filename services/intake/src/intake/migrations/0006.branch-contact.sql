-- depends: 0005.order-event-sequence
-- What a customer's status page shows of a branch besides its name and phone.

ALTER TABLE branches
    ADD COLUMN address        text,
    ADD COLUMN opening_hours  text;
