DROP TABLE digest_progress;
DROP TABLE worker_leases;
DROP TABLE email_outbox;
DROP TABLE pending_alerts;
DROP TABLE notification_categories;
DROP TABLE notification_preferences;
