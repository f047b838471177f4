-- The leaf hash of a v2 leaf as computed at insert (the chain needs it there anyway), so that
-- extending the tree for a checkpoint reads 32 bytes per leaf instead of hashing the event again.
-- `einblick audit` still recomputes every leaf from its event and compares it with the tiles, so a
-- stored hash that does not match its event is reported like a changed event. NULL for v1 leaves
-- and for v2 leaves stored before this column: those are hashed from the event.
ALTER TABLE access_events ADD COLUMN leaf_hash BYTEA;
