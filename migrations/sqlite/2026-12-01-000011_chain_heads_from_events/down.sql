CREATE TABLE log_customer_heads (
    customer_ref TEXT PRIMARY KEY,
    last_leaf BIGINT NOT NULL,
    last_leaf_hash BLOB NOT NULL,
    entries BIGINT NOT NULL
);
INSERT INTO log_customer_heads (customer_ref, last_leaf, last_leaf_hash, entries)
    SELECT customer_ref, leaf_index, leaf_hash, customer_entry
    FROM access_events a
    WHERE leaf_format = 2 AND leaf_hash IS NOT NULL
      AND leaf_index = (SELECT max(b.leaf_index) FROM access_events b
                        WHERE b.customer_ref = a.customer_ref AND b.leaf_format = 2);
DROP INDEX access_events_customer_chain;
