DROP TABLE log_checkpoints;
DROP TABLE log_tiles;
DROP TABLE log_sequence;
DROP INDEX access_events_leaf;
ALTER TABLE access_events DROP COLUMN leaf_index;
