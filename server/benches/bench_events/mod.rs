//! Bulk benchmark data: many access events spread over 200,000 customers, a known number of
//! them for one customer.

mod generated;

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::Connection;
use einblick::config::Settings;
use einblick::db::access_event::{self, NewAccessEvent};
use einblick::db::{Database, DatabaseLocation};
use einblick::http::BackgroundServer;
use einblick::seed::demo::{self, DemoRng};
use einblick::state::AppState;

/// `EINBLICK_BENCH_BACKEND` (default `postgres`) and `EINBLICK_BENCH_EVENTS` (default 1 M on
/// PostgreSQL, 100 k on SQLite).
pub(crate) fn backend_and_size() -> (String, usize) {
    let backend = std::env::var("EINBLICK_BENCH_BACKEND").unwrap_or_else(|_| "postgres".into());
    let default_events = if backend == "sqlite" {
        100_000
    } else {
        1_000_000
    };
    let total_events = std::env::var("EINBLICK_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_events);
    (backend, total_events)
}

/// The database the events go into: a fresh one removed afterwards, or, with
/// `EINBLICK_BENCH_KEEP_DATABASE=<name>`, the database `einblick_bench_<name>`, kept for the next run, which only tops
/// it up to the size asked for (load 10 M events once, then run `timeline` and `reports` on them).
pub(crate) fn events_database(
    backend: &str,
    label: &str,
) -> (Database, Option<crate::common::ScratchGuard>) {
    match kept_database_name() {
        Some(name) => {
            println!("using the kept database {name} (EINBLICK_BENCH_KEEP_DATABASE)");
            (crate::common::kept_database(backend, &name), None)
        }
        None => {
            let (db, guard) = crate::common::scratch_database(backend, label);
            (db, Some(guard))
        }
    }
}

fn kept_database_name() -> Option<String> {
    let name = std::env::var("EINBLICK_BENCH_KEEP_DATABASE").ok()?;
    assert!(
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "EINBLICK_BENCH_KEEP_DATABASE takes letters, digits and underscores, not {name:?}"
    );
    Some(name)
}

/// Where the server's log keys are: with a kept database, a folder named after it, since the
/// database records the keys its log was signed with and refuses others.
fn key_dir() -> std::path::PathBuf {
    match kept_database_name() {
        Some(name) => std::env::temp_dir().join(format!("einblick_bench_log_keys_{name}")),
        None => crate::common::log_key_dir(),
    }
}

/// The real server on a free port over `db`, logging warnings only.
pub(crate) fn start_server(db: Database, location: DatabaseLocation) -> BackgroundServer {
    let mut env = BTreeMap::new();
    env.insert("LEPTOS_SITE_ADDR".to_owned(), "127.0.0.1:0".to_owned());
    env.insert("EINBLICK_LOG".to_owned(), "warn".to_owned());
    env.insert(
        "EINBLICK_LOG_KEY_DIR".to_owned(),
        key_dir().display().to_string(),
    );
    let mut settings = Settings::from_sources(&BTreeMap::new(), &env).unwrap();
    settings.database = location;
    let started_at = chrono::Utc::now().naive_utc();
    let server = BackgroundServer::start(AppState::new(db.clone(), settings).expect("log keys"))
        .expect("server starts");
    wait_until_idle(&db, started_at);
    server
}

/// Learns the volume rule's baselines as `einblick detect` does (from the 90 days' accesses) and
/// as the running judge does every hour (from the employee-hours it counts), times both and
/// checks they agree. The judge's way is timed twice: its first run here also removes the
/// loaded hours older than 90 days, the second costs what every hour does.
// Only the timeline bench times it; the reports bench compiles this module too.
#[allow(dead_code)]
pub(crate) fn learn_baselines_both_ways(db: &Database) {
    let mut conn = db.get().unwrap();
    let now = chrono::Utc::now().naive_utc();
    let learned = |conn: &mut einblick::db::AnyConnection| {
        let mut baselines: Vec<(String, f64)> = einblick::db::explanation::baselines(conn)
            .unwrap()
            .into_iter()
            .collect();
        baselines.sort_by(|a, b| a.0.cmp(&b.0));
        baselines
    };
    let timed = |work: &mut dyn FnMut()| {
        let started = std::time::Instant::now();
        work();
        started.elapsed().as_secs_f64() * 1000.0
    };
    let from_accesses = timed(&mut || {
        einblick::explain::run::learn_baselines_from_accesses(&mut conn, now).unwrap();
    });
    let scanned = learned(&mut conn);
    let mut from_hours = [0.0; 2];
    for run in &mut from_hours {
        *run = timed(&mut || {
            einblick::explain::run::learn_baselines(&mut conn, now).unwrap();
        });
    }
    let rolled_up = learned(&mut conn);
    println!(
        "learning the baselines: {from_accesses:.0} ms from the 90 days' accesses (einblick \
         detect's); from employee_hours (the judge's, hourly) {:.0} ms, removing the older \
         hours, then {:.0} ms; {}",
        from_hours[0],
        from_hours[1],
        if scanned == rolled_up {
            format!("the same {} baselines", rolled_up.len())
        } else {
            format!("they differ: {rolled_up:?} against {scanned:?}")
        }
    );
}

/// Waits until the server has judged every loaded access, signed a checkpoint over every leaf
/// and learned the roles' baselines, which its judge does on starting (and hourly): until then
/// its background jobs share the cores with what is measured.
fn wait_until_idle(db: &Database, server_started_at: chrono::NaiveDateTime) {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Idle {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        idle: bool,
    }
    const IDLE: &str = "SELECT ( \
        (SELECT last_event_id FROM explanation_progress WHERE id = 1) \
            >= (SELECT COALESCE(MAX(id), 0) FROM access_events) \
        AND NOT EXISTS (SELECT 1 FROM access_explanations WHERE state = 'pending') \
        AND (SELECT COALESCE(MAX(tree_size), 0) FROM log_checkpoints) \
            >= (SELECT next_leaf FROM log_next_leaf WHERE id = 1) \
        AND (EXISTS (SELECT 1 FROM role_baselines WHERE computed_at >= '{started}') \
            OR NOT EXISTS (SELECT 1 FROM access_events WHERE occurred_at >= '{learned_from}'))) \
        AS idle";
    // With no access in the 90 days the judge learns from (the bench's events end on a fixed
    // date), it writes no baseline, and there is nothing to wait for. Literals, not bound
    // parameters: the statement is the same text on both backends, and both compare this form
    // of a timestamp correctly.
    let literal = |at: chrono::NaiveDateTime| at.format("%Y-%m-%d %H:%M:%S%.6f").to_string();
    let idle_sql = IDLE
        .replace("{started}", &literal(server_started_at))
        .replace(
            "{learned_from}",
            &literal(server_started_at - chrono::Duration::days(90)),
        );
    let started = std::time::Instant::now();
    let idle = || {
        let mut conn = db.get().unwrap();
        einblick::with_backend!(&mut *conn, |c| diesel::sql_query(&idle_sql)
            .get_result::<Idle>(c))
        .unwrap()
        .idle
    };
    while !idle() {
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    println!(
        "the server judged the accesses, signed the log and learned the baselines in {:.1}s",
        started.elapsed().as_secs_f64()
    );
}

/// The keys the bench server signs with (its origin is the default public URL's), so the
/// chains of events written beside it hold.
pub(crate) fn server_keys() -> einblick::transparency::LogKeys {
    einblick::transparency::LogKeys::load_or_create(
        &key_dir(),
        &Settings::from_sources(&BTreeMap::new(), &BTreeMap::new())
            .unwrap()
            .transparency
            .origin,
    )
    .expect("log keys")
}

pub(crate) fn customer_event_count(db: &Database, customer: &str) -> i64 {
    use diesel::prelude::*;
    use einblick::db::schema::access_events::dsl::*;
    let mut conn = db.get().unwrap();
    access_events
        .filter(customer_ref.eq(customer))
        .count()
        .get_result(&mut *conn)
        .unwrap()
}

/// Tops `db` up to `total_events` events, `customer_events` of them for `customer`.
///
/// By default every event is stored as the feed stores it (chained, in the log, judged).
/// `EINBLICK_BENCH_FILL=generated` (PostgreSQL) stores only the customer's that way and writes the
/// other customers' by SQL ([`generated`]), which is what makes 100 M events loadable here.
pub(crate) fn fill(db: &Database, total_events: usize, customer: &str, customer_events: usize) {
    let already = db
        .get()
        .map(|mut c| access_event::count(&mut c).expect("count"))
        .expect("connection") as usize;
    let missing = total_events.saturating_sub(already);
    match std::env::var("EINBLICK_BENCH_FILL").as_deref() {
        Ok("generated") => {
            let customer_missing =
                customer_events.saturating_sub(customer_event_count(db, customer) as usize);
            load_events(db, customer_missing, customer, customer_events);
            generated::generate_events(db, missing.saturating_sub(customer_missing));
        }
        Ok("stored") | Err(_) => load_events(db, missing, customer, customer_events),
        Ok(other) => panic!("EINBLICK_BENCH_FILL takes stored or generated, not {other:?}"),
    }
}

/// Tops `customer` up to `customer_events` events and spreads the rest over 200,000 others.
fn load_events(db: &Database, count: usize, customer: &str, customer_events: usize) {
    let mut rng = DemoRng::new(42);
    let keys = server_keys();
    let customer_missing =
        customer_events.saturating_sub(customer_event_count(db, customer) as usize);
    let start = demo::period_start();
    let roles = [
        "cs_agent_t1",
        "wh_fulfilment_agent",
        "pay_agent",
        "fraud_analyst",
        "sre_oncall",
    ];
    let categories = [
        "purchase_history",
        "addresses",
        "payment_methods",
        "messages",
        "returns",
    ];
    let reasons = [
        "customer_request",
        "order_fulfilment",
        "payment_and_fraud",
        "none",
    ];
    let mut produced = 0;
    while produced < count {
        let batch: Vec<NewAccessEvent> = (produced..(produced + 20_000).min(count))
            .map(|n| {
                let customer = if n < customer_missing {
                    customer.to_owned()
                } else {
                    format!("C-3{:06}", rng.below(200_000))
                };
                let at: NaiveDateTime =
                    start + chrono::Duration::seconds(rng.below(548 * 86_400) as i64);
                let mut event = NewAccessEvent {
                    source: "/bench/feed".into(),
                    event_id: format!("bench-{n:08}"),
                    occurred_at: at,
                    received_at: at,
                    customer_ref: customer,
                    employee_id: format!("E-{}", 1001 + rng.below(60)),
                    role_code: (*rng.pick(&roles)).into(),
                    team: Some("Support Berlin".into()),
                    office_country: Some("DE".into()),
                    data_category: (*rng.pick(&categories)).into(),
                    action: "view".into(),
                    reason_code: (*rng.pick(&reasons)).into(),
                    reason_text: Some("Kunde fragt nach dem Lieferstatus".into()),
                    ticket_ref: Some(format!("T-{}", 50_000 + n)),
                    system: Some("support-console".into()),
                    content_sha256: String::new(),
                    visible_from: None,
                };
                event.compute_content_hash();
                event
            })
            .collect();
        let mut conn = db.get().unwrap();
        let hasher = einblick::transparency::leaf::chain_hasher(&keys);
        conn.transaction(|c| access_event::insert_new(c, &batch, &hasher))
            .expect("insert batch");
        produced += batch.len();
    }
    judge_in_bulk(db);
}

/// Writes a judgement for every access not judged yet, in one statement, counts the
/// employee-hours they fall in as the judge does, and moves the judge's watermark past them: one
/// access in four unexplained, the rest explained.
///
/// The server's judge reads each access's context and its employee's other looks around it;
/// accesses generated at random times over eighteen months give every batch hundreds of separate
/// hours to read, so judging 10 M of them would take hours here. The judge's throughput has its
/// own benchmark (`explain`); these benchmarks only need every access to carry a judgement, as
/// it does in production, when the pages read them.
fn judge_in_bulk(db: &Database) {
    use diesel::connection::SimpleConnection;
    let started = std::time::Instant::now();
    let mut conn = db.get().unwrap();
    // The judge also counts each employee-hour its accesses fall in (`employee_hours`), all of
    // the hour's accesses: the hours the new accesses touch are counted again whole.
    let (hour, hour_end) = match db.location() {
        DatabaseLocation::Postgres(_) => (
            "date_trunc('hour', occurred_at)",
            "t.hour + interval '1 hour'",
        ),
        _ => (
            "strftime('%Y-%m-%d %H:00:00', occurred_at)",
            "strftime('%Y-%m-%d %H:%M:%S', t.hour, '+1 hour')",
        ),
    };
    conn.batch_execute(&format!(
        "INSERT INTO employee_hours (hour, employee_id, role_code, customers) \
         SELECT t.hour, e.employee_id, e.role_code, count(DISTINCT e.customer_ref) \
         FROM (SELECT DISTINCT {hour} AS hour, employee_id FROM access_events \
               WHERE id > (SELECT last_event_id FROM explanation_progress WHERE id = 1)) AS t \
         JOIN access_events e ON e.employee_id = t.employee_id \
             AND e.occurred_at >= t.hour AND e.occurred_at < {hour_end} \
         WHERE true /* else SQLite reads the upsert's ON CONFLICT as the join's ON */ \
         GROUP BY t.hour, e.employee_id, e.role_code \
         ON CONFLICT (hour, employee_id, role_code) DO UPDATE SET customers = excluded.customers; \
         INSERT INTO access_explanations \
         (access_event_id, state, rules, score, evaluated_at, occurred_at, role_code) \
         SELECT e.id, CASE WHEN e.id % 4 = 0 THEN 'unexplained' ELSE 'explained' END, '', 0, \
                e.received_at, e.occurred_at, e.role_code \
         FROM access_events e \
         WHERE e.id > (SELECT last_event_id FROM explanation_progress WHERE id = 1); \
         UPDATE explanation_progress \
         SET last_event_id = (SELECT COALESCE(MAX(id), 0) FROM access_events) WHERE id = 1;",
    ))
    .expect("judgements in bulk");
    println!(
        "wrote a judgement for every loaded access in bulk (one in four unexplained) in {:.1}s",
        started.elapsed().as_secs_f64()
    );
}
