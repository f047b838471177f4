ALTER TABLE access_events DROP COLUMN leaf_hash;
