-- See the PostgreSQL migration for what each change is for. SQLite cannot drop NOT NULL, so the
-- customers table is rebuilt: rows keep their ids, and the tables that refer to customers keep
-- referring to it by name (legacy_alter_table), checked when the transaction commits.
PRAGMA defer_foreign_keys = ON;
PRAGMA legacy_alter_table = ON;
CREATE TABLE customers_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    customer_ref TEXT NOT NULL UNIQUE,
    email TEXT UNIQUE,
    password_hash TEXT,
    display_name TEXT NOT NULL,
    time_zone TEXT NOT NULL DEFAULT 'Europe/Berlin',
    is_vip SMALLINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    lang TEXT NOT NULL DEFAULT 'de',
    last_signed_in_at TIMESTAMP,
    profile_updated_at TIMESTAMP
);
INSERT INTO customers_rebuilt (id, customer_ref, email, password_hash, display_name, time_zone, is_vip, created_at, lang)
    SELECT id, customer_ref, email, password_hash, display_name, time_zone, is_vip, created_at, lang FROM customers;
DROP TABLE customers;
ALTER TABLE customers_rebuilt RENAME TO customers;
PRAGMA legacy_alter_table = OFF;

ALTER TABLE staff_users ADD COLUMN sso_subject TEXT;
CREATE UNIQUE INDEX staff_users_sso_subject ON staff_users (sso_subject);
ALTER TABLE staff_users ADD COLUMN last_signed_in_at TIMESTAMP;

ALTER TABLE sessions ADD COLUMN id_token TEXT;
ALTER TABLE sessions ADD COLUMN return_url TEXT;

CREATE TABLE oidc_logins (
    state_hash TEXT PRIMARY KEY NOT NULL,
    purpose TEXT NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    next_path TEXT,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE service_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

CREATE TABLE portal_links (
    token_hash TEXT PRIMARY KEY NOT NULL,
    -- The customer as the shop describes them; the customer record is made or updated from
    -- this when the link is used.
    customer_ref TEXT NOT NULL,
    email TEXT,
    display_name TEXT,
    lang TEXT,
    time_zone TEXT,
    path TEXT NOT NULL,
    return_url TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);

CREATE TABLE password_links (
    token_hash TEXT PRIMARY KEY NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX password_links_customer ON password_links (customer_id, created_at);
