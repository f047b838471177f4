CREATE TABLE log_customer_heads (
    customer_ref TEXT PRIMARY KEY,
    last_leaf BIGINT NOT NULL,
    last_leaf_hash BYTEA NOT NULL,
    entries BIGINT NOT NULL
);
INSERT INTO log_customer_heads (customer_ref, last_leaf, last_leaf_hash, entries)
    SELECT DISTINCT ON (customer_ref) customer_ref, leaf_index, leaf_hash, customer_entry
    FROM access_events
    WHERE leaf_format = 2 AND leaf_hash IS NOT NULL
    ORDER BY customer_ref, leaf_index DESC;
DROP INDEX access_events_customer_chain;
