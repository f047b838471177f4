-- See the PostgreSQL migration.
ALTER TABLE customers ADD COLUMN oidc_subject TEXT;
CREATE UNIQUE INDEX customers_oidc_subject ON customers (oidc_subject);
