-- Lookup tables carry the customer-facing wording in German and English.
CREATE TABLE roles (
    code TEXT PRIMARY KEY NOT NULL,
    department TEXT NOT NULL,
    label_de TEXT NOT NULL,
    label_en TEXT NOT NULL,
    description_de TEXT NOT NULL,
    description_en TEXT NOT NULL
);

CREATE TABLE data_categories (
    code TEXT PRIMARY KEY NOT NULL,
    label_de TEXT NOT NULL,
    label_en TEXT NOT NULL
);

CREATE TABLE reason_codes (
    code TEXT PRIMARY KEY NOT NULL,
    label_de TEXT NOT NULL,
    label_en TEXT NOT NULL
);

-- The internal systems whose accesses the log covers, and since when.
CREATE TABLE source_systems (
    code TEXT PRIMARY KEY NOT NULL,
    label TEXT NOT NULL,
    covered_since TIMESTAMP NOT NULL
);

CREATE TABLE customers (
    id BIGSERIAL PRIMARY KEY,
    customer_ref TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    display_name TEXT NOT NULL,
    time_zone TEXT NOT NULL DEFAULT 'Europe/Berlin',
    -- SMALLINT, not BOOLEAN: diesel's MultiConnection has no portable Bool.
    is_vip SMALLINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);

-- Einblick's own staff (privacy team, regulators, admins); password_hash is NULL for SSO-only accounts.
CREATE TABLE staff_users (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    display_name TEXT NOT NULL,
    staff_role TEXT NOT NULL,
    authority TEXT,
    is_active SMALLINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL
);

-- Only a hash of the session token is stored: a database leak yields no usable cookie.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    customer_id BIGINT REFERENCES customers (id) ON DELETE CASCADE,
    staff_user_id BIGINT REFERENCES staff_users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    CHECK ((customer_id IS NULL) <> (staff_user_id IS NULL))
);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);

-- Failed logins, counted per throttle key (a hash of the account or of the client address).
CREATE TABLE login_failures (
    id BIGSERIAL PRIMARY KEY,
    throttle_key TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_key_time ON login_failures (throttle_key, failed_at);

-- One row per feed event. id is the ingestion order (the future Merkle leaf order).
-- Codes are not foreign keys: events with unknown codes are stored and shown with a generic label.
CREATE TABLE access_events (
    id BIGSERIAL PRIMARY KEY,
    source TEXT NOT NULL,
    event_id TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    received_at TIMESTAMP NOT NULL,
    customer_ref TEXT NOT NULL,
    employee_id TEXT NOT NULL,
    role_code TEXT NOT NULL,
    team TEXT,
    office_country TEXT,
    data_category TEXT NOT NULL,
    action TEXT NOT NULL,
    reason_code TEXT NOT NULL,
    reason_text TEXT,
    ticket_ref TEXT,
    system TEXT,
    -- SHA-256 of the canonical event content: a redelivery with other content is a conflict.
    content_sha256 TEXT NOT NULL,
    -- Embargo: the entry stays hidden from the customer until this time.
    visible_from TIMESTAMP,
    UNIQUE (source, event_id)
);
CREATE INDEX access_events_timeline ON access_events (customer_ref, occurred_at DESC, id DESC);

-- The reason codes are part of the feed contract, not retailer data: they ship with the schema.
INSERT INTO reason_codes (code, label_de, label_en) VALUES
    ('customer_request', 'Ihre Anfrage an uns', 'Your request to us'),
    ('order_fulfilment', 'Abwicklung Ihrer Bestellung', 'Handling your order'),
    ('payment_and_fraud', 'Zahlung und Betrugsschutz', 'Payment and fraud protection'),
    ('legal_obligation', 'Gesetzliche Pflicht', 'Legal obligation'),
    ('technical_operations', 'Technischer Betrieb und Fehlerbehebung', 'Technical operations and troubleshooting'),
    ('quality_assurance', 'Qualitätssicherung', 'Quality assurance'),
    ('none', 'Kein Grund angegeben', 'No reason given');
