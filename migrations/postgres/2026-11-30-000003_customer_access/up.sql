-- Customers arrive from the shop (portal sessions), a customer identity provider or the feed,
-- not only with a password: the email address and the password are optional now.
ALTER TABLE customers ALTER COLUMN email DROP NOT NULL;
ALTER TABLE customers ALTER COLUMN password_hash DROP NOT NULL;
ALTER TABLE customers ADD COLUMN last_signed_in_at TIMESTAMP;
-- When the profile (name, address, language, time zone) was last described by the retailer: an
-- older description arriving late (a replayed feed event) does not overwrite a newer one.
ALTER TABLE customers ADD COLUMN profile_updated_at TIMESTAMP;

-- Staff signing in through the company's identity provider: the issuer and subject that name
-- the account there, and when it last signed in.
ALTER TABLE staff_users ADD COLUMN sso_subject TEXT UNIQUE;
ALTER TABLE staff_users ADD COLUMN last_signed_in_at TIMESTAMP;

-- A session begun through a provider keeps its ID token (for the provider's logout), and one
-- begun from the shop the address of the shop's account page.
ALTER TABLE sessions ADD COLUMN id_token TEXT;
ALTER TABLE sessions ADD COLUMN return_url TEXT;

-- Sign-ins under way at an identity provider: the state (hashed), nonce and PKCE verifier the
-- callback must match. Used once.
CREATE TABLE oidc_logins (
    state_hash TEXT PRIMARY KEY NOT NULL,
    purpose TEXT NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    next_path TEXT,
    created_at TIMESTAMP NOT NULL
);

-- Credentials of the shop's backend, which opens portal sessions for its signed-in customers.
CREATE TABLE service_tokens (
    id BIGSERIAL PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

-- One-time links into the portal, handed out to the shop: used once, within a minute.
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

-- One-time links to set a password: an invitation or a reset.
CREATE TABLE password_links (
    token_hash TEXT PRIMARY KEY NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX password_links_customer ON password_links (customer_id, created_at);
