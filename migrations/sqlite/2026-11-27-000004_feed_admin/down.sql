DROP TABLE unknown_codes;
DROP TABLE ingest_stats;
