//! Notifications benchmark: 100,000 accesses for 10,000 customers who all chose
//! `every_access`, sent as HTTP batches of 1,000 from two clients through the real server with
//! the judge running, once with the notifier off and once on. Figures:
//!
//! 1. Ingest with alerts on vs off: lines stored per second, and stored and judged (target:
//!    on at most 10 % slower).
//! 2. Time from the first batch until every alert email is queued in the outbox (one per
//!    customer: each customer's accesses come as one burst, as when an agent works a case), and
//!    until every one is sent (written to the `.eml` outbox, no SMTP server).
//!
//! PostgreSQL: `source .ci/env && cargo bench -p server --bench notify`
//! SQLite:     `source .ci/env && EINBLICK_BENCH_BACKEND=sqlite cargo bench -p server --bench notify`
//! Optional: EINBLICK_BENCH_EVENTS (default 100000), EINBLICK_BENCH_CUSTOMERS (default 10000),
//! EINBLICK_BENCH_ROUNDS (default 3).

// A benchmark that cannot set up its data has nothing to measure: it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use einblick::config::Settings;
use einblick::db::customer::NewCustomer;
use einblick::db::schema::{access_events, access_explanations, email_outbox, pending_alerts};
use einblick::db::{AnyConnection, Database};
use einblick::domain::notification::NotificationMode;
use einblick::domain::CustomerId;
use einblick::http::BackgroundServer;
use einblick::state::AppState;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

const BATCH: usize = 1000;
const CLIENTS: usize = 2;
const SOURCE: &str = "/bench/feed";
const CATEGORIES: [&str; 5] = [
    "purchase_history",
    "addresses",
    "payment_methods",
    "messages",
    "returns",
];

fn main() {
    let backend = std::env::var("EINBLICK_BENCH_BACKEND").unwrap_or_else(|_| "postgres".into());
    let number = |name: &str, default: usize| -> usize {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let accesses = number("EINBLICK_BENCH_EVENTS", 100_000);
    let customers = number("EINBLICK_BENCH_CUSTOMERS", 10_000).max(1);
    let rounds = number("EINBLICK_BENCH_ROUNDS", 3).max(1);
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
        .with_writer(std::io::stderr)
        .try_init();
    let lines = feed(accesses, customers);
    println!("{backend}: {accesses} accesses for {customers} customers, {rounds} rounds");

    let (mut off, mut on) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        off.push(run(&backend, &lines, customers, false));
        on.push(run(&backend, &lines, customers, true));
        eprintln!("round {round} of {rounds} done");
    }
    let median = |runs: &[Run], pick: fn(&Run) -> f64| -> f64 {
        let mut values: Vec<f64> = runs.iter().map(pick).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let row = |label: &str, value: f64, unit: &str| println!("{label:<64} {value:>10.1} {unit}");
    let off_stored = median(&off, |r| r.stored_rate);
    let on_stored = median(&on, |r| r.stored_rate);
    let off_judged = median(&off, |r| r.judged_rate);
    let on_judged = median(&on, |r| r.judged_rate);
    println!("\n(medians of the rounds)");
    row("alerts off: lines stored per second", off_stored, "lines/s");
    row("alerts on: lines stored per second", on_stored, "lines/s");
    row(
        "alerts off: stored and judged per second",
        off_judged,
        "lines/s",
    );
    row(
        "alerts on: stored and judged per second",
        on_judged,
        "lines/s",
    );
    row(
        "ingest slowdown, stored, on vs off (target ≤ 10 %)",
        (1.0 - on_stored / off_stored) * 100.0,
        "%",
    );
    row(
        "slowdown, stored and judged, on vs off",
        (1.0 - on_judged / off_judged) * 100.0,
        "%",
    );
    row(
        "alerts on: seconds from the first batch until all are queued",
        median(&on, |r| r.queued_seconds),
        "s",
    );
    row(
        "alerts on: seconds from the first batch until all are sent",
        median(&on, |r| r.sent_seconds),
        "s",
    );
    row(
        "alert emails queued (ideally one per customer's burst)",
        median(&on, |r| r.emails as f64),
        "emails",
    );
}

/// `accesses` lines, each customer's as one burst of consecutive lines in the last hour.
fn feed(accesses: usize, customers: usize) -> Vec<String> {
    let mut rng = StdRng::seed_from_u64(14);
    let now = chrono::Utc::now();
    let per_customer = accesses.div_ceil(customers);
    (0..accesses)
        .map(|n| {
            let customer = n / per_customer;
            let at = now - chrono::Duration::seconds(rng.random_range(60..3600));
            json!({
                "specversion": "1.0", "id": format!("n-{n}"), "source": SOURCE,
                "type": "einblick.access.v1", "time": at.to_rfc3339(),
                "data": {
                    "customer_ref": format!("C-{customer:06}"),
                    "actor": { "employee_id": format!("E-{}", rng.random_range(1000..1400)), "role": "cs_agent_t1" },
                    "data_category": CATEGORIES[rng.random_range(0..CATEGORIES.len())],
                    "action": "view",
                    "reason": { "code": "customer_request" }
                }
            })
            .to_string()
        })
        .collect()
}

struct Run {
    stored_rate: f64,
    judged_rate: f64,
    queued_seconds: f64,
    sent_seconds: f64,
    emails: i64,
}

fn run(backend: &str, lines: &[String], customers: usize, alerts: bool) -> Run {
    let label = if alerts { "alerts" } else { "quiet" };
    let (db, _guard) = common::scratch_database(backend, label);
    let outbox = std::env::temp_dir().join(format!(
        "einblick_bench_outbox_{label}_{}",
        std::process::id()
    ));
    let token = {
        let mut conn = db.get().unwrap();
        prepare(&mut conn, customers, alerts);
        einblick::ingest::token::create(
            &mut conn,
            "bench",
            &[SOURCE.into()],
            chrono::Utc::now().naive_utc(),
        )
        .unwrap()
        .1
    };
    let mut settings = settings(&db, &outbox);
    settings.notifier = alerts;
    let state = AppState::new(db.clone(), settings).expect("log keys");
    let server = BackgroundServer::start(state).unwrap();
    let bodies: Vec<String> = lines
        .chunks(BATCH)
        .map(|chunk| format!("[{}]", chunk.join(",")))
        .collect();
    let url = format!("http://{}/api/v1/feed/events", server.addr);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for client in 0..CLIENTS {
            let (bodies, url, token) = (&bodies, &url, &token);
            scope.spawn(move || {
                let agent = ureq::AgentBuilder::new()
                    .timeout(Duration::from_secs(120))
                    .build();
                for body in bodies.iter().skip(client).step_by(CLIENTS) {
                    let report: serde_json::Value = agent
                        .post(url)
                        .set("Authorization", &format!("Bearer {token}"))
                        .set("Content-Type", "application/cloudevents-batch+json")
                        .send_string(body)
                        .unwrap()
                        .into_json()
                        .unwrap();
                    assert_eq!(report["rejected"].as_u64(), Some(0), "{report}");
                }
            });
        }
    });
    let stored = started.elapsed().as_secs_f64();
    let mut conn = db.get().unwrap();
    let events: i64 = access_events::table.count().get_result(&mut *conn).unwrap();
    assert_eq!(events, lines.len() as i64);
    let wait = |what: &str, done: &mut dyn FnMut(&mut AnyConnection) -> bool| {
        let mut conn = db.get().unwrap();
        while !done(&mut conn) {
            assert!(
                started.elapsed() < Duration::from_secs(1800),
                "{what} took too long"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        started.elapsed().as_secs_f64()
    };
    let judged = wait("judging", &mut |conn| {
        access_explanations::table
            .filter(access_explanations::state.ne("pending"))
            .count()
            .get_result::<i64>(conn)
            .unwrap()
            == events
    });
    let (mut queued, mut sent, mut emails) = (judged, judged, 0);
    if alerts {
        queued = wait("queueing the alerts", &mut |conn| {
            pending_alerts::table
                .count()
                .get_result::<i64>(conn)
                .unwrap()
                == 0
        });
        sent = wait("sending the alerts", &mut |conn| {
            email_outbox::table
                .filter(email_outbox::sent_at.is_null())
                .count()
                .get_result::<i64>(conn)
                .unwrap()
                == 0
        });
        emails = email_outbox::table.count().get_result(&mut *conn).unwrap();
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&outbox);
    Run {
        stored_rate: lines.len() as f64 / stored,
        judged_rate: lines.len() as f64 / judged,
        queued_seconds: queued,
        sent_seconds: sent,
        emails,
    }
}

/// The retailer's labels and the customers, opted in to every access when `alerts`.
fn prepare(conn: &mut AnyConnection, customers: usize, alerts: bool) {
    use einblick::seed::demo;
    einblick::db::lookup::insert_retailer_lookups(
        conn,
        &demo::roles(),
        &demo::categories(),
        &demo::systems(),
    )
    .unwrap();
    let now = chrono::Utc::now().naive_utc();
    for n in 0..customers {
        einblick::db::customer::insert(
            conn,
            &NewCustomer {
                customer_ref: format!("C-{n:06}"),
                email: Some(format!("customer{n}@example.org")),
                password_hash: None,
                display_name: format!("Customer {n}"),
                time_zone: "Europe/Berlin".into(),
                is_vip: false,
                created_at: now,
                lang: if n % 2 == 0 { "de" } else { "en" }.into(),
                profile_updated_at: None,
            },
        )
        .unwrap();
    }
    if alerts {
        let ids: Vec<i64> = einblick::db::schema::customers::table
            .select(einblick::db::schema::customers::id)
            .load(conn)
            .unwrap();
        for id in ids {
            einblick::db::notification::save_preferences(
                conn,
                CustomerId(id),
                NotificationMode::EveryAccess,
                &[],
                false,
                now,
            )
            .unwrap();
        }
    }
}

fn settings(db: &Database, outbox: &std::path::Path) -> Settings {
    let env = BTreeMap::from([
        ("LEPTOS_SITE_ADDR".to_owned(), "127.0.0.1:0".to_owned()),
        ("EINBLICK_LOG".to_owned(), "warn".to_owned()),
        (
            "EINBLICK_LOG_KEY_DIR".to_owned(),
            common::log_key_dir().display().to_string(),
        ),
        (
            "EINBLICK_OUTBOX_DIR".to_owned(),
            outbox.display().to_string(),
        ),
    ]);
    let mut settings = Settings::from_sources(&BTreeMap::new(), &env).unwrap();
    settings.database = db.location().clone();
    settings
}
