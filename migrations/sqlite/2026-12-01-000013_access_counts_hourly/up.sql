-- Accesses counted per hour (UTC), role, data category and reason: kept by every insert of access
-- events, in its transaction, so the statistics sum at most a few thousand rows per month of the
-- period instead of scanning the events (fast at any size, whatever plan a prepared statement
-- gets). Hours, not days: a period's bounds are local midnights, whole UTC hours.
CREATE TABLE access_counts_hourly (
    hour TIMESTAMP NOT NULL,
    role_code TEXT NOT NULL,
    data_category TEXT NOT NULL,
    reason_code TEXT NOT NULL,
    accesses BIGINT NOT NULL,
    with_ticket BIGINT NOT NULL,
    PRIMARY KEY (hour, role_code, data_category, reason_code)
);
INSERT INTO access_counts_hourly (hour, role_code, data_category, reason_code, accesses, with_ticket)
    SELECT strftime('%Y-%m-%d %H:00:00', occurred_at), role_code, data_category, reason_code,
           count(*), count(ticket_ref)
    FROM access_events
    GROUP BY 1, 2, 3, 4;
