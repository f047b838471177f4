-- Witnesses' cosignatures of the log's checkpoints (C2SP tlog-cosignature), each kept as the
-- note signature line the witness returned, and the size each witness last cosigned: what the
-- next add-checkpoint request proves consistency from.
CREATE TABLE log_cosignatures (
    tree_size BIGINT NOT NULL,
    witness TEXT NOT NULL,
    signature_line TEXT NOT NULL,
    cosigned_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tree_size, witness)
);

CREATE TABLE log_witness_sizes (
    witness TEXT PRIMARY KEY,
    cosigned_size BIGINT NOT NULL
);
