-- A customer who signs in through the retailer's identity provider is that provider's subject
-- (issuer|subject): once set, another subject naming the same customer number is refused.
ALTER TABLE customers ADD COLUMN oidc_subject TEXT UNIQUE;
