DROP TABLE log_identity;
