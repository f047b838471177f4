-- A timeline filtered by reason, role or data category seeks straight to the customer's matching
-- entries, newest first, instead of walking their whole history for a rare value (a customer
-- with 10,000 entries and 3 of one reason read all 10,000). Combined filters use one of them.
CREATE INDEX IF NOT EXISTS access_events_timeline_reason ON access_events (customer_ref, reason_code, occurred_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS access_events_timeline_role ON access_events (customer_ref, role_code, occurred_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS access_events_timeline_category ON access_events (customer_ref, data_category, occurred_at DESC, id DESC);
