DROP TABLE removed_access_events;
DROP TABLE log_removed_leaves;
DROP TABLE log_retention_passes;
