-- The source policy of the channel a rejected event came in on (the feed token's sources, the
-- NATS subject's binding), one pattern per line; NULL for an operator's import, which may use
-- any source. A replay is judged by it, never by trust. Letters kept before this was recorded
-- get an empty policy: they cannot be replayed, only sent again through the feed.
ALTER TABLE dead_letters ADD COLUMN allowed_sources TEXT;
UPDATE dead_letters SET allowed_sources = '' WHERE transport IN ('http', 'nats');
-- Why the last replay of a letter was refused, shown on its page.
ALTER TABLE dead_letters ADD COLUMN replay_error TEXT;

-- Browsers that signed in to an account before (OWASP's device cookie): they keep signing in
-- while the account is locked for everyone else, until they fail too often themselves.
CREATE TABLE trusted_devices (
    token_hash TEXT PRIMARY KEY NOT NULL,
    account_key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX trusted_devices_account ON trusted_devices (account_key);
