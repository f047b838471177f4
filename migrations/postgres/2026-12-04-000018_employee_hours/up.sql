-- The volume rule's baselines from a rollup instead of the accesses. Each hour the judge learned
-- them again by counting, in the last 90 days of access_events, the distinct customers of every
-- employee-hour: a scan of all those accesses, 4 s of both cores at 10 M events and 26 s at
-- 100 M, during which pages were served about 2.5 times slower. employee_hours keeps those counts;
-- the judge writes them for the hours of every batch it judges (it reads those hours' accesses
-- anyway), and learning reads only the counts.
CREATE TABLE employee_hours (
    hour TIMESTAMP NOT NULL,
    employee_id TEXT NOT NULL,
    role_code TEXT NOT NULL,
    -- Distinct customers the employee looked at in the role in the clock hour (UTC).
    customers BIGINT NOT NULL,
    PRIMARY KEY (hour, employee_id, role_code)
);

-- The hours learning reads (the last 90 days, from the start of their first hour), from what is
-- stored now; the judge keeps them from here on. A server of the previous release still judging
-- after this writes none: the hours it judges stay uncounted until a later batch touches them
-- (README, "The volume rule's baselines": stop the old judges first).
INSERT INTO employee_hours (hour, employee_id, role_code, customers)
SELECT date_trunc('hour', occurred_at), employee_id, role_code, count(DISTINCT customer_ref)
FROM access_events
WHERE occurred_at >= date_trunc('hour', (now() AT TIME ZONE 'UTC') - interval '90 days')
GROUP BY 1, 2, 3;
