-- Leaves of format einblick.access-leaf.v2 (crate::transparency::leaf): the employee is a keyed
-- hash, and each leaf chains to the same customer's previous leaf, so a whole timeline can be
-- checked for completeness. Rows logged before stay format 1 (the log is append-only).
ALTER TABLE access_events ADD COLUMN leaf_format SMALLINT NOT NULL DEFAULT 1;
-- The customer's previous leaf (none for their first chained entry), its leaf hash, and how many
-- chained entries the customer has with this one.
ALTER TABLE access_events ADD COLUMN customer_previous_leaf BIGINT;
ALTER TABLE access_events ADD COLUMN customer_previous_hash BYTEA;
ALTER TABLE access_events ADD COLUMN customer_entry BIGINT;

-- Each customer's newest chained leaf: what the next one links to. Written under the leaf lock.
CREATE TABLE log_customer_heads (
    customer_ref TEXT PRIMARY KEY,
    last_leaf BIGINT NOT NULL,
    last_leaf_hash BYTEA NOT NULL,
    entries BIGINT NOT NULL
);
