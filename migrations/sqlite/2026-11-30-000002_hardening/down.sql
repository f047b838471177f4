DROP TABLE trusted_devices;
ALTER TABLE dead_letters DROP COLUMN replay_error;
ALTER TABLE dead_letters DROP COLUMN allowed_sources;
