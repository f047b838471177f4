DROP INDEX access_events_employee;
DROP TABLE dispute_history;
DROP TABLE dispute_events;
DROP TABLE disputes;
DELETE FROM roles WHERE code IN ('privacy_analyst', 'privacy_lead', 'regulator', 'admin');
DELETE FROM data_categories WHERE code = 'access_log';
ALTER TABLE customers DROP COLUMN lang;
