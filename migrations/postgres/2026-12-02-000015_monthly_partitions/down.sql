ALTER TABLE access_events RENAME TO access_events_partitioned;
ALTER TABLE access_events_partitioned RENAME CONSTRAINT access_events_pkey TO access_events_partitioned_pkey;
ALTER SEQUENCE access_events_id_seq OWNED BY NONE;
CREATE TABLE access_events (
    id BIGINT PRIMARY KEY DEFAULT nextval('access_events_id_seq'),
    source TEXT NOT NULL,
    event_id TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    received_at TIMESTAMP NOT NULL,
    customer_ref TEXT NOT NULL,
    employee_id TEXT NOT NULL,
    role_code TEXT NOT NULL,
    team TEXT,
    office_country TEXT,
    data_category TEXT NOT NULL,
    action TEXT NOT NULL,
    reason_code TEXT NOT NULL,
    reason_text TEXT,
    ticket_ref TEXT,
    system TEXT,
    content_sha256 TEXT NOT NULL,
    visible_from TIMESTAMP,
    leaf_index BIGINT NOT NULL,
    leaf_format SMALLINT NOT NULL DEFAULT 1,
    customer_previous_leaf BIGINT,
    customer_previous_hash BYTEA,
    customer_entry BIGINT,
    leaf_hash BYTEA,
    UNIQUE (source, event_id)
);
ALTER SEQUENCE access_events_id_seq OWNED BY access_events.id;
INSERT INTO access_events SELECT * FROM access_events_partitioned;
DROP TABLE access_events_partitioned;
CREATE INDEX access_events_timeline ON access_events (customer_ref, occurred_at DESC, id DESC);
CREATE INDEX access_events_timeline_reason ON access_events (customer_ref, reason_code, occurred_at DESC, id DESC);
CREATE INDEX access_events_timeline_role ON access_events (customer_ref, role_code, occurred_at DESC, id DESC);
CREATE INDEX access_events_timeline_category ON access_events (customer_ref, data_category, occurred_at DESC, id DESC);
CREATE INDEX access_events_employee ON access_events (employee_id, occurred_at);
CREATE INDEX access_events_time ON access_events (occurred_at, id);
CREATE UNIQUE INDEX access_events_leaf ON access_events (leaf_index);
CREATE INDEX access_events_customer_chain ON access_events (customer_ref, leaf_index DESC)
    WHERE leaf_format = 2;
ALTER TABLE access_explanations ADD FOREIGN KEY (access_event_id) REFERENCES access_events (id);
ALTER TABLE dispute_events ADD FOREIGN KEY (access_event_id) REFERENCES access_events (id);
ALTER TABLE pending_alerts ADD FOREIGN KEY (access_event_id) REFERENCES access_events (id);
DROP TABLE log_customer_heads;
ALTER TABLE log_next_leaf RENAME TO log_sequence;
DROP TABLE feed_event_keys;
