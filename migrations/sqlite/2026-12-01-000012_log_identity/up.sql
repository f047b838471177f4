-- Which keys the log of an origin is kept with: the first server to start records its checkpoint
-- verifier key and a check value of its customer-hash key; every later server (another process,
-- another host) must present the same, or it refuses to start: two processes signing one log with
-- different keys would fork it, and different customer-hash keys would break every chain.
CREATE TABLE log_identity (
    origin TEXT PRIMARY KEY,
    verifier_key TEXT NOT NULL,
    customer_key_check TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);
