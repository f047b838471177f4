-- Cases a supervisory authority opens about one customer (the subject) and one period. A
-- regulator reaches a subject's data only through a case of their own authority.
CREATE TABLE regulator_cases (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    authority TEXT NOT NULL,
    -- The authority's own case reference, unique within the authority.
    reference TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    period_from DATE NOT NULL,
    period_to DATE NOT NULL,
    -- 1: the subject sees the authority's looks only once the case is closed.
    confidential SMALLINT NOT NULL,
    opened_by BIGINT NOT NULL REFERENCES staff_users (id),
    opened_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP,
    UNIQUE (authority, reference)
);
CREATE INDEX regulator_cases_authority ON regulator_cases (authority, opened_at DESC);

-- Every regulator action on a case, with who and when.
CREATE TABLE regulator_actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    case_id BIGINT NOT NULL REFERENCES regulator_cases (id),
    staff_user_id BIGINT NOT NULL REFERENCES staff_users (id),
    kind TEXT NOT NULL,
    detail TEXT,
    at TIMESTAMP NOT NULL
);
CREATE INDEX regulator_actions_case ON regulator_actions (case_id, id);

INSERT INTO reason_codes (code, label_de, label_en) VALUES
    ('supervisory_review', 'Prüfung durch eine Datenschutz-Aufsichtsbehörde', 'Review by a data protection authority');
