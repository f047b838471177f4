-- See the PostgreSQL migration for what each table is for.
CREATE TABLE notification_preferences (
    customer_id BIGINT PRIMARY KEY NOT NULL REFERENCES customers (id),
    mode TEXT NOT NULL CHECK (mode IN ('every_access', 'unexplained_only', 'weekly_digest', 'off')),
    quiet_weeks BOOLEAN NOT NULL DEFAULT 0,
    changed_at TIMESTAMP NOT NULL,
    last_alert_at TIMESTAMP
);

CREATE TABLE notification_categories (
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    category_code TEXT NOT NULL,
    PRIMARY KEY (customer_id, category_code)
);

CREATE TABLE pending_alerts (
    access_event_id BIGINT PRIMARY KEY NOT NULL REFERENCES access_events (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    queued_at TIMESTAMP NOT NULL
);
CREATE INDEX pending_alerts_customer ON pending_alerts (customer_id, queued_at);

CREATE TABLE email_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    customer_id BIGINT REFERENCES customers (id),
    kind TEXT NOT NULL,
    dedupe_key TEXT UNIQUE,
    recipient TEXT NOT NULL,
    message TEXT NOT NULL,
    queued_at TIMESTAMP NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at TIMESTAMP,
    failed_at TIMESTAMP,
    cancelled_at TIMESTAMP
);
CREATE INDEX email_outbox_due ON email_outbox (next_attempt_at, id)
    WHERE sent_at IS NULL AND failed_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX email_outbox_queued ON email_outbox (queued_at);

CREATE TABLE worker_leases (
    name TEXT PRIMARY KEY NOT NULL,
    holder TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

CREATE TABLE digest_progress (
    week_start DATE PRIMARY KEY NOT NULL,
    last_customer_id BIGINT NOT NULL,
    finished_at TIMESTAMP
);
