DROP TABLE log_customer_heads;
ALTER TABLE access_events DROP COLUMN customer_entry;
ALTER TABLE access_events DROP COLUMN customer_previous_hash;
ALTER TABLE access_events DROP COLUMN customer_previous_leaf;
ALTER TABLE access_events DROP COLUMN leaf_format;
