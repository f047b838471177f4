DROP TABLE access_counts_hourly;
