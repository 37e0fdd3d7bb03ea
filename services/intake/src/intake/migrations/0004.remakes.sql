-- depends: 0003.labs-and-actions
-- A remake or warranty order (reopened in workflow) is registered here too, under the
-- original's sequence number with an -R<n> suffix, so staff and labs can act on it.

ALTER TABLE orders ADD COLUMN reopened_from uuid REFERENCES orders (order_id);
ALTER TABLE orders DROP CONSTRAINT orders_branch_id_seq_key;
CREATE UNIQUE INDEX orders_branch_seq ON orders (branch_id, seq) WHERE reopened_from IS NULL;
