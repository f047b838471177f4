-- Ingest health per source and minute, kept by the feed itself (one upsert per batch and
-- source), so the admin page never scans access_events.
CREATE TABLE ingest_stats (
    source TEXT NOT NULL,
    minute TIMESTAMP NOT NULL,
    accepted BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    last_received_at TIMESTAMP NOT NULL,
    PRIMARY KEY (source, minute)
);

-- Role, category and reason codes the feed sent that had no label at the time; the admin page
-- lists those that are still unknown.
CREATE TABLE unknown_codes (
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    events BIGINT NOT NULL,
    first_seen_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, code)
);
