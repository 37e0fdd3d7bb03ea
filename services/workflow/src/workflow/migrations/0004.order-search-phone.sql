-- depends: 0003.flow-and-calendar-config
-- The customer's phone digits (national form, e.g. 11987654321), so the counter can find an
-- order by the phone typed in any format. Never returned by the API.

ALTER TABLE orders ADD COLUMN customer_phone_digits text;
CREATE INDEX orders_phone_digits ON orders (chain_id, customer_phone_digits);
