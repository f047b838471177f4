-- Explaining every access from business records, flagging the rest by rules, and the privacy
-- team's investigations of the flagged ones.

-- Kinds of business record; extensible by code. The phrase is what the customer reads
-- ("your support ticket {reference}, opened {date}"); the window says how long before a record
-- was opened and after it was closed it still explains an access.
CREATE TABLE context_kinds (
    code TEXT PRIMARY KEY NOT NULL,
    label_de TEXT NOT NULL,
    label_en TEXT NOT NULL,
    phrase_de TEXT NOT NULL,
    phrase_en TEXT NOT NULL,
    hours_before INTEGER NOT NULL,
    hours_after INTEGER NOT NULL
);
INSERT INTO context_kinds VALUES
    ('support_ticket', 'Serviceanfrage', 'Support ticket', 'Ihre Serviceanfrage {reference} vom {date}', 'your support ticket {reference}, opened {date}', 48, 48),
    ('order', 'Bestellung', 'Order', 'Ihre Bestellung {reference} vom {date}', 'your order {reference} of {date}', 24, 72),
    ('shipment', 'Sendung', 'Shipment', 'die Sendung {reference} vom {date}', 'the shipment {reference} of {date}', 24, 168),
    ('return', 'Retoure', 'Return', 'Ihre Retoure {reference} vom {date}', 'a return you opened ({reference}, {date})', 24, 168),
    ('payment_dispute', 'Zahlungsklärung', 'Payment dispute', 'die Klärung einer Zahlung ({reference}, {date})', 'a payment check on your order ({reference}, {date})', 24, 168),
    ('fraud_case', 'Betrugsprüfung', 'Fraud check', 'eine Prüfung zum Schutz vor Betrug ({reference}, {date})', 'a check to protect you from fraud ({reference}, {date})', 24, 168),
    ('legal_request', 'Rechtliche Anfrage', 'Legal request', 'eine rechtliche Anfrage ({reference}, {date})', 'a legal request ({reference}, {date})', 48, 336);

-- The business records themselves (feed type einblick.context.v1). A later event about the same
-- (kind, reference) updates the record; described_at orders the descriptions.
CREATE TABLE context_records (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    reference TEXT NOT NULL,
    customer_ref TEXT NOT NULL,
    opened_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP,
    assigned_team TEXT,
    assigned_employee_id TEXT,
    source TEXT NOT NULL,
    described_at TIMESTAMP NOT NULL,
    UNIQUE (kind, reference)
);
CREATE INDEX context_records_customer ON context_records (customer_ref, opened_at);

-- Which roles a kind of record explains (a warehouse role by an order, a support role by a
-- ticket). Edited by admins; a role without rows falls back to its department's defaults.
CREATE TABLE role_context_fit (
    role_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (role_code, kind)
);

-- The employee directory (einblick directory import, feed type einblick.employee.v1). Surnames
-- and postcodes are kept only as keyed hashes: they serve matching, nothing else.
CREATE TABLE employees (
    employee_id TEXT PRIMARY KEY NOT NULL,
    surname_hash TEXT,
    postcode_hash TEXT,
    team TEXT,
    shift_start SMALLINT,
    shift_end SMALLINT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    customer_ref TEXT,
    described_at TIMESTAMP NOT NULL
);
ALTER TABLE customers ADD COLUMN surname_hash TEXT;
ALTER TABLE customers ADD COLUMN postcode_hash TEXT;

-- The privacy team's investigations: one open case per employee, gathering their flagged
-- accesses across customers and days.
CREATE TABLE investigations (
    id BIGSERIAL PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    employee_id TEXT NOT NULL,
    status TEXT NOT NULL,
    score INTEGER NOT NULL DEFAULT 0,
    flagged_count INTEGER NOT NULL DEFAULT 0,
    opened_at TIMESTAMP NOT NULL,
    decided_at TIMESTAMP,
    decided_by BIGINT REFERENCES staff_users (id),
    outcome_reason TEXT
);
CREATE UNIQUE INDEX investigations_one_open ON investigations (employee_id) WHERE status = 'open';
CREATE INDEX investigations_status ON investigations (status, score);

CREATE TABLE investigation_history (
    id BIGSERIAL PRIMARY KEY,
    investigation_id BIGINT NOT NULL REFERENCES investigations (id),
    staff_user_id BIGINT REFERENCES staff_users (id),
    kind TEXT NOT NULL,
    body TEXT,
    at TIMESTAMP NOT NULL
);
CREATE INDEX investigation_history_case ON investigation_history (investigation_id, at);

-- One state per access: explained, unexplained, flagged, appropriate, violation; or pending
-- while it waits to be evaluated again (context arrived late, a rule changed).
CREATE TABLE access_explanations (
    access_event_id BIGINT PRIMARY KEY NOT NULL REFERENCES access_events (id),
    state TEXT NOT NULL,
    context_id BIGINT REFERENCES context_records (id),
    rules TEXT NOT NULL DEFAULT '',
    score INTEGER NOT NULL DEFAULT 0,
    investigation_id BIGINT REFERENCES investigations (id),
    evaluated_at TIMESTAMP NOT NULL
);
CREATE INDEX access_explanations_pending ON access_explanations (access_event_id) WHERE state = 'pending';
CREATE INDEX access_explanations_investigation ON access_explanations (investigation_id);

-- Accesses up to this id have been evaluated once.
CREATE TABLE explanation_progress (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    last_event_id BIGINT NOT NULL
);
INSERT INTO explanation_progress (id, last_event_id) VALUES (1, 0);

-- The rules, each on or off with its threshold (admin area).
CREATE TABLE detection_rules (
    code TEXT PRIMARY KEY NOT NULL,
    enabled BOOLEAN NOT NULL,
    threshold DOUBLE PRECISION,
    updated_at TIMESTAMP,
    updated_by BIGINT REFERENCES staff_users (id)
);
INSERT INTO detection_rules (code, enabled, threshold) VALUES
    ('no_reason', TRUE, NULL),
    ('request_without_ticket', TRUE, NULL),
    ('unknown_ticket', TRUE, NULL),
    ('high_profile', TRUE, NULL),
    ('self_lookup', TRUE, NULL),
    ('same_surname_or_postcode', TRUE, NULL),
    ('search_unexplained', TRUE, NULL),
    ('unusual_volume', TRUE, 1.5),
    ('outside_shift', TRUE, NULL),
    ('repeated_unexplained', TRUE, 3);

-- Each role's usual number of distinct customers an employee looks at in an hour (the 99th
-- percentile over history), learned for the volume rule.
CREATE TABLE role_baselines (
    role_code TEXT PRIMARY KEY NOT NULL,
    customers_per_hour_p99 DOUBLE PRECISION NOT NULL,
    computed_at TIMESTAMP NOT NULL
);
