DROP TABLE log_witness_sizes;
DROP TABLE log_cosignatures;
