DROP INDEX customers_oidc_subject;
ALTER TABLE customers DROP COLUMN oidc_subject;
