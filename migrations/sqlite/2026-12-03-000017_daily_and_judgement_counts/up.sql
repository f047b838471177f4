-- The statistics at any size. Two things made a long period slow:
-- * access_counts_hourly holds up to one row per hour and combination of role, category and
--   reason. access_counts_daily counts the same per UTC day; a period sums its whole days from
--   it and only the hours at its ends (its bounds are local midnights) from the hourly one.
-- * the explained share and flags per role joined the period's accesses to their judgements,
--   which cost what the period's events cost. explanation_counts_hourly and
--   explanation_counts_daily count judgements per hour (and day) of the access, role and state
--   instead. Each judgement keeps its access's time and role for them, as on PostgreSQL (where
--   looking them up would probe every monthly partition).
-- Triggers keep the new counts, so every writer counts, in its own transaction: the judgement
-- counts follow every write to a judgement (the judge, a decision, a rule change marking
-- accesses for judging again, retention), and each daily table follows its hourly one.

CREATE TABLE access_counts_daily (
    day TIMESTAMP NOT NULL,
    role_code TEXT NOT NULL,
    data_category TEXT NOT NULL,
    reason_code TEXT NOT NULL,
    accesses BIGINT NOT NULL,
    with_ticket BIGINT NOT NULL,
    PRIMARY KEY (day, role_code, data_category, reason_code)
);
INSERT INTO access_counts_daily (day, role_code, data_category, reason_code, accesses, with_ticket)
    SELECT strftime('%Y-%m-%d 00:00:00', hour), role_code, data_category, reason_code,
           sum(accesses), sum(with_ticket)
    FROM access_counts_hourly GROUP BY 1, 2, 3, 4;
CREATE TRIGGER access_counts_daily_inserted AFTER INSERT ON access_counts_hourly BEGIN
    INSERT INTO access_counts_daily
        (day, role_code, data_category, reason_code, accesses, with_ticket)
        VALUES (strftime('%Y-%m-%d 00:00:00', NEW.hour), NEW.role_code, NEW.data_category, NEW.reason_code,
                NEW.accesses, NEW.with_ticket)
    ON CONFLICT (day, role_code, data_category, reason_code) DO UPDATE
    SET accesses = accesses + excluded.accesses, with_ticket = with_ticket + excluded.with_ticket;
END;
CREATE TRIGGER access_counts_daily_updated AFTER UPDATE OF accesses, with_ticket ON access_counts_hourly
WHEN OLD.accesses IS NOT NEW.accesses OR OLD.with_ticket IS NOT NEW.with_ticket BEGIN
    UPDATE access_counts_daily
    SET accesses = accesses - OLD.accesses, with_ticket = with_ticket - OLD.with_ticket
        WHERE day = strftime('%Y-%m-%d 00:00:00', OLD.hour) AND role_code = OLD.role_code
          AND data_category = OLD.data_category AND reason_code = OLD.reason_code;
    INSERT INTO access_counts_daily
        (day, role_code, data_category, reason_code, accesses, with_ticket)
        VALUES (strftime('%Y-%m-%d 00:00:00', NEW.hour), NEW.role_code, NEW.data_category, NEW.reason_code,
                NEW.accesses, NEW.with_ticket)
    ON CONFLICT (day, role_code, data_category, reason_code) DO UPDATE
    SET accesses = accesses + excluded.accesses, with_ticket = with_ticket + excluded.with_ticket;
END;
CREATE TRIGGER access_counts_daily_deleted AFTER DELETE ON access_counts_hourly BEGIN
    UPDATE access_counts_daily
    SET accesses = accesses - OLD.accesses, with_ticket = with_ticket - OLD.with_ticket
        WHERE day = strftime('%Y-%m-%d 00:00:00', OLD.hour) AND role_code = OLD.role_code
          AND data_category = OLD.data_category AND reason_code = OLD.reason_code;
END;

-- SQLite adds a NOT NULL column only with a default, which would hide a writer that left it
-- out: the table is rebuilt instead.
CREATE TABLE access_explanations_with_access (
    access_event_id BIGINT PRIMARY KEY NOT NULL REFERENCES access_events (id),
    state TEXT NOT NULL,
    context_id BIGINT REFERENCES context_records (id),
    rules TEXT NOT NULL DEFAULT '',
    score INTEGER NOT NULL DEFAULT 0,
    investigation_id BIGINT REFERENCES investigations (id),
    evaluated_at TIMESTAMP NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    role_code TEXT NOT NULL
);
INSERT INTO access_explanations_with_access
    SELECT x.access_event_id, x.state, x.context_id, x.rules, x.score, x.investigation_id,
           x.evaluated_at, e.occurred_at, e.role_code
    FROM access_explanations x JOIN access_events e ON e.id = x.access_event_id;
DROP TABLE access_explanations;
ALTER TABLE access_explanations_with_access RENAME TO access_explanations;
CREATE INDEX access_explanations_pending ON access_explanations (access_event_id) WHERE state = 'pending';
CREATE INDEX access_explanations_investigation ON access_explanations (investigation_id);
CREATE INDEX access_explanations_context ON access_explanations (context_id);

CREATE TABLE explanation_counts_hourly (
    hour TIMESTAMP NOT NULL,
    role_code TEXT NOT NULL,
    state TEXT NOT NULL,
    accesses BIGINT NOT NULL,
    PRIMARY KEY (hour, role_code, state)
);
CREATE TABLE explanation_counts_daily (
    day TIMESTAMP NOT NULL,
    role_code TEXT NOT NULL,
    state TEXT NOT NULL,
    accesses BIGINT NOT NULL,
    PRIMARY KEY (day, role_code, state)
);
CREATE TRIGGER explanation_counts_daily_inserted AFTER INSERT ON explanation_counts_hourly BEGIN
    INSERT INTO explanation_counts_daily (day, role_code, state, accesses)
        VALUES (strftime('%Y-%m-%d 00:00:00', NEW.hour), NEW.role_code, NEW.state, NEW.accesses)
    ON CONFLICT (day, role_code, state) DO UPDATE SET accesses = accesses + excluded.accesses;
END;
CREATE TRIGGER explanation_counts_daily_updated AFTER UPDATE OF accesses ON explanation_counts_hourly
WHEN OLD.accesses IS NOT NEW.accesses BEGIN
    UPDATE explanation_counts_daily SET accesses = accesses - OLD.accesses
        WHERE day = strftime('%Y-%m-%d 00:00:00', OLD.hour) AND role_code = OLD.role_code AND state = OLD.state;
    INSERT INTO explanation_counts_daily (day, role_code, state, accesses)
        VALUES (strftime('%Y-%m-%d 00:00:00', NEW.hour), NEW.role_code, NEW.state, NEW.accesses)
    ON CONFLICT (day, role_code, state) DO UPDATE SET accesses = accesses + excluded.accesses;
END;
CREATE TRIGGER explanation_counts_daily_deleted AFTER DELETE ON explanation_counts_hourly BEGIN
    UPDATE explanation_counts_daily SET accesses = accesses - OLD.accesses
        WHERE day = strftime('%Y-%m-%d 00:00:00', OLD.hour) AND role_code = OLD.role_code AND state = OLD.state;
END;
-- Filling the hourly counts fills the daily ones through their triggers.
INSERT INTO explanation_counts_hourly (hour, role_code, state, accesses)
    SELECT strftime('%Y-%m-%d %H:00:00', occurred_at), role_code, state, count(*)
    FROM access_explanations GROUP BY 1, 2, 3;
CREATE TRIGGER explanation_counts_inserted AFTER INSERT ON access_explanations BEGIN
    INSERT INTO explanation_counts_hourly (hour, role_code, state, accesses)
        VALUES (strftime('%Y-%m-%d %H:00:00', NEW.occurred_at), NEW.role_code, NEW.state, 1)
    ON CONFLICT (hour, role_code, state) DO UPDATE SET accesses = accesses + 1;
END;
CREATE TRIGGER explanation_counts_updated AFTER UPDATE OF state, occurred_at, role_code ON access_explanations
WHEN OLD.state IS NOT NEW.state OR OLD.occurred_at IS NOT NEW.occurred_at OR OLD.role_code IS NOT NEW.role_code BEGIN
    UPDATE explanation_counts_hourly SET accesses = accesses - 1
        WHERE hour = strftime('%Y-%m-%d %H:00:00', OLD.occurred_at) AND role_code = OLD.role_code AND state = OLD.state;
    INSERT INTO explanation_counts_hourly (hour, role_code, state, accesses)
        VALUES (strftime('%Y-%m-%d %H:00:00', NEW.occurred_at), NEW.role_code, NEW.state, 1)
    ON CONFLICT (hour, role_code, state) DO UPDATE SET accesses = accesses + 1;
END;
CREATE TRIGGER explanation_counts_deleted AFTER DELETE ON access_explanations BEGIN
    UPDATE explanation_counts_hourly SET accesses = accesses - 1
        WHERE hour = strftime('%Y-%m-%d %H:00:00', OLD.occurred_at) AND role_code = OLD.role_code AND state = OLD.state;
END;
