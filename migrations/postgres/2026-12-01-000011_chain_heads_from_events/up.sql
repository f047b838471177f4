-- A customer's chain head (what their next leaf links to) is now read from their newest v2 row
-- through this index instead of being kept in `log_customer_heads`: maintaining the index costs
-- ingest a fraction of what upserting a head row per event did (the bench in the README).
-- Only v2 rows chain, so only they are indexed.
CREATE INDEX access_events_customer_chain ON access_events (customer_ref, leaf_index DESC)
    WHERE leaf_format = 2;
-- Heads stored before the leaf hash column existed still know their leaf's hash: keep it on the row.
UPDATE access_events SET leaf_hash = h.last_leaf_hash
    FROM log_customer_heads h
    WHERE access_events.leaf_index = h.last_leaf AND access_events.leaf_hash IS NULL;
DROP TABLE log_customer_heads;
