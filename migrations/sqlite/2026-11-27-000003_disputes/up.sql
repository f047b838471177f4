-- The language the customer last used: emails the privacy team triggers are written in it.
ALTER TABLE customers ADD COLUMN lang TEXT NOT NULL DEFAULT 'de';

-- A customer's challenge of one or more access events, and the privacy team's answer.
CREATE TABLE disputes (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    -- What the customer quotes (e.g. EB-7K3M-Q9XD): random, so it reveals no volume.
    reference TEXT NOT NULL UNIQUE,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    ground TEXT NOT NULL,
    statement TEXT NOT NULL,
    status TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    -- One calendar month after receipt, in the customer's time zone (GDPR Art. 12(3)).
    due_on DATE NOT NULL,
    -- At most one extension, by up to two months, with a reason the customer is told.
    extended_due_on DATE,
    extension_reason TEXT,
    assignee_id BIGINT REFERENCES staff_users (id),
    decided_at TIMESTAMP,
    -- The answer the customer reads; the internal note never leaves the back office.
    decision_explanation TEXT,
    internal_note TEXT,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX disputes_customer ON disputes (customer_id, received_at DESC);
CREATE INDEX disputes_queue ON disputes (status, due_on);

CREATE TABLE dispute_events (
    dispute_id BIGINT NOT NULL REFERENCES disputes (id),
    access_event_id BIGINT NOT NULL REFERENCES access_events (id),
    PRIMARY KEY (dispute_id, access_event_id)
);

-- Everything that happened to a case, who did it and when: the audit trail, and (where
-- visible_to_customer = 1) the message thread the customer reads.
CREATE TABLE dispute_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    dispute_id BIGINT NOT NULL REFERENCES disputes (id),
    happened_at TIMESTAMP NOT NULL,
    -- NULL: the customer (or the system) acted.
    staff_user_id BIGINT REFERENCES staff_users (id),
    kind TEXT NOT NULL,
    body TEXT,
    visible_to_customer SMALLINT NOT NULL
);
CREATE INDEX dispute_history_dispute ON dispute_history (dispute_id, id);

-- An employee's accesses around a date, for the case view's context figures.
CREATE INDEX access_events_employee ON access_events (employee_id, occurred_at);

-- Einblick's own staff appear in customers' timelines when they open a customer's data.
INSERT INTO roles (code, department, label_de, label_en, description_de, description_en) VALUES
    ('privacy_analyst', 'Datenschutz', 'Datenschutz-Analyst:in', 'Privacy analyst',
     'Prüft im Datenschutzteam Beschwerden über Zugriffe auf Kundendaten.',
     'Reviews complaints about accesses to customer data on the privacy team.'),
    ('privacy_lead', 'Datenschutz', 'Leitung Datenschutz', 'Privacy lead',
     'Leitet das Datenschutzteam und entscheidet über Beschwerden.',
     'Leads the privacy team and decides on complaints.'),
    ('regulator', 'Aufsichtsbehörde', 'Datenschutz-Aufsichtsbehörde', 'Data protection authority',
     'Eine staatliche Aufsichtsbehörde, die den Umgang mit Ihren Daten prüft.',
     'A public supervisory authority checking how your data is handled.'),
    ('admin', 'Datenschutz', 'Einblick-Administration', 'Einblick administrator',
     'Betreibt dieses Transparenzportal.',
     'Runs this transparency portal.');

INSERT INTO data_categories (code, label_de, label_en) VALUES
    ('access_log', 'Ihr Zugriffsprotokoll und Ihre Beschwerden', 'Your access log and your disputes');
