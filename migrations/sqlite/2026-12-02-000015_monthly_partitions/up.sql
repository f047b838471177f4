-- SQLite keeps access_events in one table (PostgreSQL partitions it by month in this release).
-- The leaf counter gets its new name on both backends, so one codebase names it; on PostgreSQL
-- the rename makes servers of the previous release fail to store events.
ALTER TABLE log_sequence RENAME TO log_next_leaf;
