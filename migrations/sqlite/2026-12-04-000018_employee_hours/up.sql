-- The volume rule's baselines from a rollup instead of the accesses: see the PostgreSQL
-- migration of the same name.
CREATE TABLE employee_hours (
    hour TIMESTAMP NOT NULL,
    employee_id TEXT NOT NULL,
    role_code TEXT NOT NULL,
    -- Distinct customers the employee looked at in the role in the clock hour (UTC).
    customers BIGINT NOT NULL,
    PRIMARY KEY (hour, employee_id, role_code)
);

INSERT INTO employee_hours (hour, employee_id, role_code, customers)
SELECT strftime('%Y-%m-%d %H:00:00', occurred_at), employee_id, role_code,
       count(DISTINCT customer_ref)
FROM access_events
WHERE occurred_at >= strftime('%Y-%m-%d %H:00:00', 'now', '-90 days')
GROUP BY 1, 2, 3;
