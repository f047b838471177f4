-- Credentials of the systems that send access events. Only a hash of the token is stored.
CREATE TABLE feed_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    -- The CloudEvents `source` values this token may send, one per line.
    allowed_sources TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

-- Every event that was not stored, with its raw bytes and the reason: nothing is ever dropped.
CREATE TABLE dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    transport TEXT NOT NULL,
    source TEXT,
    event_id TEXT,
    reason TEXT NOT NULL,
    -- Base64 of the raw bytes: they may not even be UTF-8.
    raw_base64 TEXT NOT NULL,
    replayed_at TIMESTAMP
);
CREATE INDEX dead_letters_received ON dead_letters (received_at);
