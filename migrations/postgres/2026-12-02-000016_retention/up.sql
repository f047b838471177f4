-- What the retention policy (EINBLICK_RETENTION_MONTHS) removed. Each pass removes, of every
-- customer, the oldest entries of their chain that happened before the first day it keeps, and
-- records the runs of consecutive leaf indices it removed (log_removed_leaves) under one note
-- the log's key signs (log_retention_passes: the day, the time, a digest of the runs), so that
-- only the log's key can turn a missing leaf into one removed under the policy. The leaves'
-- hashes stay in log_tiles: every checkpoint still holds, every other proof still verifies.
-- removed_access_events keeps the runs of event ids removed, so a proof asked for such an event
-- says why it is gone. end_leaf and end_id are exclusive.
CREATE TABLE log_retention_passes (
    removed_at TIMESTAMP PRIMARY KEY NOT NULL,
    removed_before DATE NOT NULL,
    note TEXT NOT NULL
);
CREATE TABLE log_removed_leaves (
    first_leaf BIGINT PRIMARY KEY NOT NULL,
    end_leaf BIGINT NOT NULL,
    removed_at TIMESTAMP NOT NULL REFERENCES log_retention_passes (removed_at)
);
CREATE TABLE removed_access_events (
    first_id BIGINT PRIMARY KEY NOT NULL,
    end_id BIGINT NOT NULL,
    removed_at TIMESTAMP NOT NULL REFERENCES log_retention_passes (removed_at)
);
