-- The statistics at any size. Two things made a long period slow:
-- * access_counts_hourly holds up to one row per hour and combination of role, category and
--   reason: 1.3 million rows for eighteen months of five roles, five categories and four reasons,
--   0.44 s to sum. access_counts_daily counts the same per UTC day; a period sums its whole days
--   from it and only the hours at its ends (its bounds are local midnights) from the hourly one.
-- * the explained share and flags per role joined the period's accesses to their judgements,
--   which cost what the period's events cost (seconds at 10 M events).
--   explanation_counts_hourly and explanation_counts_daily count judgements per hour (and day) of
--   the access, role and state instead. Each judgement keeps its access's time and role for
--   them: looking those up would probe every monthly partition per judgement.
-- Triggers keep the new counts, so every writer counts, in its own transaction: the judgement
-- counts follow every write to a judgement (the judge, a decision, a rule change marking
-- accesses for judging again, retention), and each daily table follows its hourly one, whoever
-- writes that (also a server of the previous release, still storing events during an upgrade).
-- Statement triggers: one statement's rows are counted at once (a judge batch is hundreds, a
-- rule change all of them), in key order, so that transactions lock the counts they share in
-- the same order. Each trigger is created before its table is filled: creating it waits for
-- the writers in flight and then holds new ones off until this migration commits, so none is
-- counted twice or missed. The functions take the statement's rows (new_rows, old_rows or both,
-- by TG_OP) as text: a query naming a transition table the trigger lacks would not plan.

CREATE TABLE access_counts_daily (
    day TIMESTAMP NOT NULL,
    role_code TEXT NOT NULL,
    data_category TEXT NOT NULL,
    reason_code TEXT NOT NULL,
    accesses BIGINT NOT NULL,
    with_ticket BIGINT NOT NULL,
    PRIMARY KEY (day, role_code, data_category, reason_code)
);
CREATE FUNCTION access_counts_daily_follow() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    columns CONSTANT TEXT := 'hour, role_code, data_category, reason_code';
    changed TEXT := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT ' || columns || ', accesses, with_ticket FROM new_rows'
        WHEN 'DELETE' THEN 'SELECT ' || columns || ', -accesses, -with_ticket FROM old_rows'
        ELSE 'SELECT ' || columns || ', accesses, with_ticket FROM new_rows UNION ALL '
             'SELECT ' || columns || ', -accesses, -with_ticket FROM old_rows'
    END;
BEGIN
    EXECUTE 'INSERT INTO access_counts_daily AS d
                 (day, role_code, data_category, reason_code, accesses, with_ticket)
             SELECT date_trunc(''day'', hour), role_code, data_category, reason_code,
                    sum(accesses), sum(with_ticket)
             FROM (' || changed || ') AS changed
                 (hour, role_code, data_category, reason_code, accesses, with_ticket)
             GROUP BY 1, 2, 3, 4 HAVING sum(accesses) <> 0 OR sum(with_ticket) <> 0
             ORDER BY 1, 2, 3, 4
             ON CONFLICT (day, role_code, data_category, reason_code) DO UPDATE
             SET accesses = d.accesses + EXCLUDED.accesses,
                 with_ticket = d.with_ticket + EXCLUDED.with_ticket';
    RETURN NULL;
END $$;
CREATE TRIGGER access_counts_daily_inserted AFTER INSERT ON access_counts_hourly
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION access_counts_daily_follow();
CREATE TRIGGER access_counts_daily_updated AFTER UPDATE ON access_counts_hourly
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION access_counts_daily_follow();
CREATE TRIGGER access_counts_daily_deleted AFTER DELETE ON access_counts_hourly
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION access_counts_daily_follow();
INSERT INTO access_counts_daily (day, role_code, data_category, reason_code, accesses, with_ticket)
    SELECT date_trunc('day', hour), role_code, data_category, reason_code,
           sum(accesses), sum(with_ticket)
    FROM access_counts_hourly GROUP BY 1, 2, 3, 4;

ALTER TABLE access_explanations ADD COLUMN occurred_at TIMESTAMP, ADD COLUMN role_code TEXT;
UPDATE access_explanations x SET occurred_at = e.occurred_at, role_code = e.role_code
    FROM access_events e WHERE e.id = x.access_event_id;
-- Judgements of events no longer stored: no statistic or page ever joined them to anything.
DELETE FROM access_explanations WHERE occurred_at IS NULL;
ALTER TABLE access_explanations ALTER COLUMN occurred_at SET NOT NULL,
    ALTER COLUMN role_code SET NOT NULL;

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
CREATE FUNCTION explanation_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed TEXT := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT occurred_at, role_code, state, 1 FROM new_rows'
        WHEN 'DELETE' THEN 'SELECT occurred_at, role_code, state, -1 FROM old_rows'
        ELSE 'SELECT occurred_at, role_code, state, 1 FROM new_rows UNION ALL '
             'SELECT occurred_at, role_code, state, -1 FROM old_rows'
    END;
BEGIN
    EXECUTE 'INSERT INTO explanation_counts_hourly AS c (hour, role_code, state, accesses)
             SELECT date_trunc(''hour'', occurred_at), role_code, state, sum(change)
             FROM (' || changed || ') AS changed (occurred_at, role_code, state, change)
             GROUP BY 1, 2, 3 HAVING sum(change) <> 0 ORDER BY 1, 2, 3
             ON CONFLICT (hour, role_code, state)
             DO UPDATE SET accesses = c.accesses + EXCLUDED.accesses';
    RETURN NULL;
END $$;
CREATE FUNCTION explanation_counts_daily_follow() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed TEXT := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT hour, role_code, state, accesses FROM new_rows'
        WHEN 'DELETE' THEN 'SELECT hour, role_code, state, -accesses FROM old_rows'
        ELSE 'SELECT hour, role_code, state, accesses FROM new_rows UNION ALL '
             'SELECT hour, role_code, state, -accesses FROM old_rows'
    END;
BEGIN
    EXECUTE 'INSERT INTO explanation_counts_daily AS d (day, role_code, state, accesses)
             SELECT date_trunc(''day'', hour), role_code, state, sum(accesses)
             FROM (' || changed || ') AS changed (hour, role_code, state, accesses)
             GROUP BY 1, 2, 3 HAVING sum(accesses) <> 0 ORDER BY 1, 2, 3
             ON CONFLICT (day, role_code, state)
             DO UPDATE SET accesses = d.accesses + EXCLUDED.accesses';
    RETURN NULL;
END $$;
CREATE TRIGGER explanation_counts_inserted AFTER INSERT ON access_explanations
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION explanation_counts_follow();
CREATE TRIGGER explanation_counts_updated AFTER UPDATE ON access_explanations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION explanation_counts_follow();
CREATE TRIGGER explanation_counts_deleted AFTER DELETE ON access_explanations
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION explanation_counts_follow();
CREATE TRIGGER explanation_counts_daily_inserted AFTER INSERT ON explanation_counts_hourly
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION explanation_counts_daily_follow();
CREATE TRIGGER explanation_counts_daily_updated AFTER UPDATE ON explanation_counts_hourly
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION explanation_counts_daily_follow();
CREATE TRIGGER explanation_counts_daily_deleted AFTER DELETE ON explanation_counts_hourly
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION explanation_counts_daily_follow();
-- Filling the hourly counts fills the daily ones through their triggers.
INSERT INTO explanation_counts_hourly (hour, role_code, state, accesses)
    SELECT date_trunc('hour', occurred_at), role_code, state, count(*)
    FROM access_explanations GROUP BY 1, 2, 3;
