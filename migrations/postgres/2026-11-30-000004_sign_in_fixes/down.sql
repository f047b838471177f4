ALTER TABLE customers DROP COLUMN oidc_subject;
