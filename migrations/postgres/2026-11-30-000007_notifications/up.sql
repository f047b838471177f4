-- Customers are told: alerts for accesses, weekly digests, and the durable outbox they leave by.

-- What each customer wants to be told. No row: the quiet default, a weekly digest.
-- mode: every_access | unexplained_only | weekly_digest | off. quiet_weeks: send the digest in
-- weeks with nothing to report too. last_alert_at: when the last alert email was queued, so a
-- burst becomes one email per window.
CREATE TABLE notification_preferences (
    customer_id BIGINT PRIMARY KEY REFERENCES customers (id),
    mode TEXT NOT NULL CHECK (mode IN ('every_access', 'unexplained_only', 'weekly_digest', 'off')),
    quiet_weeks BOOLEAN NOT NULL DEFAULT FALSE,
    changed_at TIMESTAMP NOT NULL,
    last_alert_at TIMESTAMP
);

-- Data categories the customer is always told about at once, whatever the mode.
CREATE TABLE notification_categories (
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    category_code TEXT NOT NULL,
    PRIMARY KEY (customer_id, category_code)
);

-- Accesses a customer is to be alerted of, written by the judge in the transaction that judged
-- them; an alert email takes them (and deletes them) in the transaction that queues it.
CREATE TABLE pending_alerts (
    access_event_id BIGINT PRIMARY KEY REFERENCES access_events (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    queued_at TIMESTAMP NOT NULL
);
CREATE INDEX pending_alerts_customer ON pending_alerts (customer_id, queued_at);

-- Every email to be sent, rendered, written in the transaction that decided it is due; the
-- sender marks each sent once. dedupe_key makes a digest for a week at most one row.
CREATE TABLE email_outbox (
    id BIGSERIAL PRIMARY KEY,
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

-- One process at a time does a job (the email sender): it holds the lease until expires_at and
-- renews it while working; a process killed mid-job loses it when it expires.
CREATE TABLE worker_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

-- How far the digests for a week are: customers are walked in id order, in chunks.
CREATE TABLE digest_progress (
    week_start DATE PRIMARY KEY,
    last_customer_id BIGINT NOT NULL,
    finished_at TIMESTAMP
);
