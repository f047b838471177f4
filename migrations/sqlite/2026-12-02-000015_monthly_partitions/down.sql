ALTER TABLE log_next_leaf RENAME TO log_sequence;
