//! Other customers' events written by SQL (`EINBLICK_BENCH_FILL=generated`, PostgreSQL): what
//! makes 100 M events loadable on this machine. Storing them as the feed does runs at a few
//! thousand events a second; here a month's partition is rebuilt in bulk instead: its rows and
//! the generated ones go into a new table, which gets the partition's indexes in one sorted
//! build each and then takes the month's place. Indexes built whole come out about 16 % smaller
//! than ones grown by inserts (337 against 403 MB per million rows, measured here), which
//! flatters the large runs a little.
//!
//! The generated rows stand for the history of 2,000,000 other customers: spread evenly over the
//! demo period, five roles, five categories and four reasons as the stored bench events, one in
//! three with a ticket, counted in the hourly statistics as ingest counts them. To fit the disk
//! they carry no free text, team, system or content hash, they are outside the verifiable log
//! (their leaf index is minus their id, which no leaf has), and their judgements are only
//! counted (one in four unexplained, as the bulk judgement writes them), not written, and so are
//! their employee-hours (as the judge counts them for the volume rule's baselines): the measured
//! pages show one customer's stored events and never these rows, whose part is to make the
//! tables, their indexes and the statistics' hourly counts the size asked for.

use chrono::{Months, NaiveDateTime};
use diesel::connection::SimpleConnection;
use einblick::db::partition::{self, month_of, partition_name};
use einblick::db::{Database, DatabaseLocation};
use einblick::seed::demo;

/// Adds `count` generated events over the demo period, month by month.
pub(crate) fn generate_events(db: &Database, count: usize) {
    if count == 0 {
        return;
    }
    assert!(
        matches!(db.location(), DatabaseLocation::Postgres(_)),
        "EINBLICK_BENCH_FILL=generated writes PostgreSQL's monthly partitions: run it on PostgreSQL"
    );
    let start = demo::period_start();
    let end = demo::period_end();
    let mut conn = db.get().expect("connection");
    let now = chrono::Utc::now().naive_utc();
    partition::ensure_months_between(&mut conn, start, end, now).expect("monthly partitions");
    let period_seconds = (end - start).num_seconds() as f64;
    let mut written = 0;
    let mut month = month_of(start);
    while month <= month_of(end) {
        let month_start = month.and_hms_opt(0, 0, 0).expect("midnight exists");
        let next_month = month_start + Months::new(1);
        let (from, until) = (month_start.max(start), next_month.min(end));
        let share = (until - from).num_seconds() as f64 / period_seconds;
        let rows = if next_month >= end {
            count - written
        } else {
            ((count as f64 * share) as usize).min(count - written)
        };
        if rows == 0 {
            month = month + Months::new(1);
            continue;
        }
        let started = std::time::Instant::now();
        let partition = partition_name(month);
        conn.batch_execute(&rebuild_month(
            &partition,
            month_start,
            next_month,
            from,
            until,
            rows,
        ))
        .expect("generated month");
        // A new table has no statistics and no visibility map until autovacuum comes round:
        // what is measured next must not see guessed plans or heap fetches it would not see
        // in production. (VACUUM runs outside a transaction, so on its own.)
        conn.batch_execute(&format!("VACUUM (ANALYZE) {partition}"))
            .expect("vacuumed month");
        written += rows;
        println!(
            "generated {rows} events in {partition} ({written} of {count}) in {:.1}s",
            started.elapsed().as_secs_f64()
        );
        month = month + Months::new(1);
    }
    // Nothing for the judge to do: the generated rows' judgements are counted above.
    conn.batch_execute(
        "UPDATE explanation_progress \
         SET last_event_id = (SELECT COALESCE(MAX(id), 0) FROM access_events) WHERE id = 1",
    )
    .expect("judge's watermark");
}

/// One transaction: a new table with the month's rows and `rows` generated ones spread evenly
/// over `from..until`, the partition's indexes built on it, and the swap.
fn rebuild_month(
    partition: &str,
    month_start: NaiveDateTime,
    next_month: NaiveDateTime,
    from: NaiveDateTime,
    until: NaiveDateTime,
    rows: usize,
) -> String {
    let next = format!("{partition}_next");
    let step_seconds = (until - from).num_seconds() as f64 / rows.max(1) as f64;
    // The hashes pick each row's customer, employee, role, category and reason independently.
    format!(
        "BEGIN;
        SET LOCAL maintenance_work_mem = '1GB';
        CREATE TABLE {next} (LIKE access_events INCLUDING DEFAULTS);
        INSERT INTO {next} SELECT * FROM {partition};
        WITH generated AS (
            INSERT INTO {next} (id, source, event_id, occurred_at, received_at, customer_ref,
                employee_id, role_code, data_category, action, reason_code, ticket_ref,
                content_sha256, leaf_index)
            SELECT id, '/bench/generated', 'gen-' || id, at, at,
                'C-4' || lpad(((hashint8(id * 7 + 3)::bigint & 2147483647) % 2000000)::text, 7, '0'),
                'E-' || (1001 + (hashint8(id * 11 + 4)::bigint & 2147483647) % 60),
                (ARRAY['cs_agent_t1', 'wh_fulfilment_agent', 'pay_agent', 'fraud_analyst',
                       'sre_oncall'])[1 + (hashint8(id)::bigint & 2147483647) % 5],
                (ARRAY['purchase_history', 'addresses', 'payment_methods', 'messages',
                       'returns'])[1 + (hashint8(id * 3 + 1)::bigint & 2147483647) % 5],
                'view',
                (ARRAY['customer_request', 'order_fulfilment', 'payment_and_fraud',
                       'none'])[1 + (hashint8(id * 5 + 2)::bigint & 2147483647) % 4],
                CASE WHEN id % 3 = 0 THEN 'T-' || id END,
                '', -id
            FROM (SELECT nextval('access_events_id_seq') AS id,
                         timestamp '{from}' + make_interval(secs => k * {step_seconds}) AS at
                  FROM generate_series(0::bigint, {rows}::bigint - 1) AS k) AS g
            RETURNING id, occurred_at, employee_id, customer_ref, role_code, data_category,
                reason_code, ticket_ref),
        -- Their employee-hours, as the judge counts them. Generated customers are not the
        -- stored ones, so the counts add up; one of them seen twice in an hour by an employee
        -- across two top-ups is counted twice (hardly ever: 2,000,000 customers).
        employee_hours_added AS (
            INSERT INTO employee_hours AS h (hour, employee_id, role_code, customers)
            SELECT date_trunc('hour', occurred_at), employee_id, role_code,
                   count(DISTINCT customer_ref)
            FROM generated GROUP BY 1, 2, 3
            ON CONFLICT (hour, employee_id, role_code) DO UPDATE
            SET customers = h.customers + EXCLUDED.customers),
        -- The daily counts follow the hourly ones by trigger.
        accesses_by_hour AS (
            INSERT INTO access_counts_hourly AS c
                (hour, role_code, data_category, reason_code, accesses, with_ticket)
            SELECT date_trunc('hour', occurred_at), role_code, data_category, reason_code,
                   count(*), count(ticket_ref)
            FROM generated GROUP BY 1, 2, 3, 4
            ON CONFLICT (hour, role_code, data_category, reason_code) DO UPDATE
            SET accesses = c.accesses + EXCLUDED.accesses,
                with_ticket = c.with_ticket + EXCLUDED.with_ticket)
        -- Their judgements, counted as the bulk judgement would write them.
        INSERT INTO explanation_counts_hourly AS x (hour, role_code, state, accesses)
        SELECT date_trunc('hour', occurred_at), role_code,
               CASE WHEN id % 4 = 0 THEN 'unexplained' ELSE 'explained' END, count(*)
        FROM generated GROUP BY 1, 2, 3
        ON CONFLICT (hour, role_code, state) DO UPDATE SET accesses = x.accesses + EXCLUDED.accesses;
        ALTER TABLE {next} ADD PRIMARY KEY (id, occurred_at);
        CREATE INDEX ON {next} (customer_ref, occurred_at DESC, id DESC);
        CREATE INDEX ON {next} (customer_ref, reason_code, occurred_at DESC, id DESC);
        CREATE INDEX ON {next} (customer_ref, role_code, occurred_at DESC, id DESC);
        CREATE INDEX ON {next} (customer_ref, data_category, occurred_at DESC, id DESC);
        CREATE INDEX ON {next} (employee_id, occurred_at);
        CREATE INDEX ON {next} (occurred_at, id);
        CREATE INDEX ON {next} (leaf_index);
        -- Attaching checks every row against the month's bounds unless a constraint already says so.
        ALTER TABLE {next} ADD CONSTRAINT {next}_month
            CHECK (occurred_at >= '{month_start}' AND occurred_at < '{next_month}');
        ALTER TABLE access_events DETACH PARTITION {partition};
        DROP TABLE {partition};
        ALTER TABLE {next} RENAME TO {partition};
        ALTER TABLE access_events ATTACH PARTITION {partition}
            FOR VALUES FROM ('{month_start}') TO ('{next_month}');
        ALTER TABLE {partition} DROP CONSTRAINT {next}_month;
        COMMIT;"
    )
}
