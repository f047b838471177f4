-- The verifiable access log (RFC 6962 Merkle tree, C2SP tlog-tiles and checkpoints). Every
-- access event gets the next leaf index inside the transaction that stores it, so the log's order
-- is the order events were committed in, without gaps. (SQLite adds a NOT NULL column only with
-- a default; every insert sets it.)
ALTER TABLE access_events ADD COLUMN leaf_index BIGINT NOT NULL DEFAULT 0;
UPDATE access_events
SET leaf_index = ranked.position
FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS position FROM access_events) AS ranked
WHERE access_events.id = ranked.id;
CREATE UNIQUE INDEX access_events_leaf ON access_events (leaf_index);

-- One row: the next free leaf index.
CREATE TABLE log_sequence (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    next_leaf BIGINT NOT NULL
);
INSERT INTO log_sequence (id, next_leaf) SELECT 1, count(*) FROM access_events;

-- Hash tiles (height 8): the hashes at tree level 8 * level, 256 per full tile. The rightmost
-- tile of a level grows until it is full; its prefixes are the partial tiles served.
CREATE TABLE log_tiles (
    level SMALLINT NOT NULL,
    tile_index BIGINT NOT NULL,
    hashes BLOB NOT NULL,
    PRIMARY KEY (level, tile_index)
);

-- Every signed checkpoint, as published.
CREATE TABLE log_checkpoints (
    tree_size BIGINT PRIMARY KEY,
    root_hash BLOB NOT NULL,
    note TEXT NOT NULL,
    issued_at TIMESTAMP NOT NULL
);
