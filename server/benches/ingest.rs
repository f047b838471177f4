//! Feed ingest benchmark: events/s through `POST /api/v1/feed/events` (batches of 1,000) beside
//! the same rows loaded the fastest raw way (PostgreSQL COPY; SQLite: one transaction of
//! prepared inserts), printed as a ratio; and events/s of the NATS JetStream consumer.
//!
//! PostgreSQL: `source .ci/env && cargo bench -p server --bench ingest`
//! SQLite:     `source .ci/env && EINBLICK_BENCH_BACKEND=sqlite cargo bench -p server --bench ingest`
//! Optional: EINBLICK_BENCH_EVENTS (default 100000), EINBLICK_BENCH_ROUNDS (default 3),
//! EINBLICK_TEST_POSTGRES_URL.
//!
//! On a small shared machine one run's rate can be off by a third, so each path is measured in
//! several rounds, interleaved, each on a fresh database, and the median is what counts; the
//! range is printed beside it.
//!
//! What v2 leaves cost against the format-1 leaves they replaced (PostgreSQL):
//! `cargo bench -p server --bench ingest --features v1-leaf-comparison` runs only that
//! comparison: rounds (default 10) of the same feed through HTTP with checkpoints, once as v1
//! and once as v2 leaves in alternating order, each until a signed checkpoint covers every
//! event. Besides events/s it counts the CPU time this process (clients and server) and
//! PostgreSQL spent, which a busy neighbour disturbs far less than the rate.

// A benchmark that cannot set up its data has nothing to measure: it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// The leaf comparison build runs only the comparison: the other paths' code lies idle in it.
#![cfg_attr(feature = "v1-leaf-comparison", allow(dead_code))]

mod common;
mod feed_events;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use einblick::config::{NatsSettings, Secret, Settings, SubjectBinding};
use einblick::db::access_event::{self, NewAccessEvent};
use einblick::db::{AnyConnection, Database};
use einblick::http::BackgroundServer;
use einblick::state::AppState;
use feed_events::{delete_stream, event_json, process_ticks, publish, NATS_URL, TICKS_PER_SECOND};

const BATCH: usize = 1000;
const CLIENTS: usize = 2;

fn main() {
    let backend = std::env::var("EINBLICK_BENCH_BACKEND").unwrap_or_else(|_| "postgres".into());
    let events: usize = std::env::var("EINBLICK_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let rounds: usize = std::env::var("EINBLICK_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        // The leaf comparison's two formats differ by a few per cent: more rounds.
        .unwrap_or(if cfg!(feature = "v1-leaf-comparison") {
            10
        } else {
            3
        })
        .max(1);
    let lines: Vec<String> = (0..events).map(event_json).collect();
    println!("{events} events, {backend}, {rounds} rounds");
    #[cfg(feature = "v1-leaf-comparison")]
    compare_leaf_formats(&backend, &lines, rounds);
    #[cfg(not(feature = "v1-leaf-comparison"))]
    measure_the_paths(&backend, lines, rounds);
}

/// Parsing, the raw baselines, HTTP with and without checkpoints, and the NATS consumer.
fn measure_the_paths(backend: &str, lines: Vec<String>, rounds: usize) {
    let events = lines.len();
    let parse_started = Instant::now();
    let rows: Vec<NewAccessEvent> = lines
        .iter()
        .map(|l| {
            let event = einblick::ingest::event::parse(l.as_bytes()).unwrap();
            NewAccessEvent::from_event(&event, chrono::Utc::now().naive_utc(), None)
        })
        .collect();
    let parse_rate = events as f64 / parse_started.elapsed().as_secs_f64();

    let (mut raw_rates, mut without_log, mut with_log) = (Vec::new(), Vec::new(), Vec::new());
    let mut raw_chained_rates = Vec::new();
    for round in 1..=rounds {
        // Raw baselines: the rows as v1 leaves were stored, and with v2's chain columns and
        // stored leaf hash (hashes made up: this measures what storing them costs).
        for (leaves, rates) in [
            (Leaves::V1, &mut raw_rates),
            (Leaves::V2, &mut raw_chained_rates),
        ] {
            let (raw_db, raw_guard) = common::scratch_database(backend, "raw");
            let started = Instant::now();
            raw_load(&raw_db, &rows, leaves);
            rates.push(events as f64 / started.elapsed().as_secs_f64());
            assert_eq!(count(&raw_db), events as i64);
            drop(raw_db);
            drop(raw_guard);
        }

        // HTTP batch ingest through the real server: first with the verifiable log's
        // checkpoints held back (each event still takes its leaf index), then with the default
        // cadence, which builds tiles and signs checkpoints while events stream in.
        without_log.push(http_ingest(backend, &lines, Cadence::Off));
        with_log.push(http_ingest(backend, &lines, Cadence::Default));
        eprintln!("round {round} of {rounds} done");
    }
    let raw_rate = Rates::of(&raw_rates);
    let raw_chained = Rates::of(&raw_chained_rates);
    let without = Rates::of(&without_log.iter().map(|run| run.rate).collect::<Vec<_>>());
    let with = Rates::of(&with_log.iter().map(|run| run.rate).collect::<Vec<_>>());
    let with_log = with_log.swap_remove(with.median_index);

    println!(
        "\n{:<58} {:>12} {:>20}",
        "path (median of the rounds)", "events/s", "range"
    );
    println!(
        "{:<58} {:>12.0}",
        "parsing the events alone (one core)", parse_rate
    );
    raw_rate.print(raw_label(backend));
    raw_chained.print("the same, with v2's chain columns and leaf hash");
    println!(
        "{:<58} {:>11.1}%",
        "storing v2's columns (raw, v1 -> v2)",
        (1.0 - raw_chained.median / raw_rate.median) * 100.0
    );
    without.print(&format!(
        "HTTP batches of {BATCH}, {CLIENTS} clients, no checkpoints"
    ));
    with.print(&format!(
        "HTTP batches of {BATCH}, {CLIENTS} clients, checkpoints"
    ));
    println!(
        "{:<58} {:>12.2}",
        "ratio HTTP (checkpoints) / raw",
        with.median / raw_rate.median
    );
    println!(
        "{:<58} {:>12.2}",
        "ratio HTTP (no checkpoints) / raw",
        without.median / raw_rate.median
    );
    println!(
        "{:<58} {:>11.1}%",
        "ingest slowdown from checkpointing",
        (1.0 - with.median / without.median) * 100.0
    );
    println!(
        "{:<58} {:>12.2}",
        "s to sign the last checkpoint after the run", with_log.catch_up_seconds
    );
    println!(
        "{:<58} {:>12.1}",
        "CPU µs per event, this process + PostgreSQL, checkpoints",
        with_log.cpu_seconds / events as f64 * 1e6
    );
    println!(
        "{:<58} {:>12.1}",
        "log bytes per event (tiles + leaf index + its index)", with_log.log_bytes_per_event
    );

    // NATS consumer: publish everything first, then time the consumer draining it.
    let (nats_db, _nats_guard) = common::scratch_database(backend, "nats");
    let stream = format!("EINBLICK_BENCH_{}", std::process::id());
    let subject = format!("einblick.bench.{}", std::process::id());
    let published = publish(&stream, &subject, &lines);
    if let Err(e) = published {
        println!("NATS consumer: skipped ({e})");
        return;
    }
    let nats = NatsSettings {
        url: Secret::new(NATS_URL),
        stream: stream.clone(),
        subject: format!("{subject}.>"),
        consumer: "einblick-bench".into(),
        sources: vec![SubjectBinding {
            subject: format!("{subject}.>"),
            source: "*".into(),
        }],
    };
    let started = Instant::now();
    let server = BackgroundServer::start(
        AppState::new(nats_db.clone(), settings(&nats_db, Some(nats))).expect("log keys"),
    )
    .unwrap();
    while count(&nats_db) < events as i64 {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "NATS consumer too slow"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let nats_rate = events as f64 / started.elapsed().as_secs_f64();
    drop(server);
    println!(
        "{:<58} {:>12.0}",
        "NATS JetStream consumer (batches of 500)", nats_rate
    );
    delete_stream(&stream);
}

/// Several measurements of one path: their median and range.
struct Rates {
    median: f64,
    median_index: usize,
    min: f64,
    max: f64,
}

impl Rates {
    fn of(rates: &[f64]) -> Rates {
        let mut order: Vec<usize> = (0..rates.len()).collect();
        order.sort_by(|a, b| rates[*a].total_cmp(&rates[*b]));
        let median_index = order[order.len() / 2];
        Rates {
            median: rates[median_index],
            median_index,
            min: rates[order[0]],
            max: rates[order[order.len() - 1]],
        }
    }

    fn print(&self, label: &str) {
        println!(
            "{label:<58} {:>12.0} {:>20}",
            self.median,
            format!("{:.0}–{:.0}", self.min, self.max)
        );
    }
}

struct HttpRun {
    rate: f64,
    /// After the run: seconds until a checkpoint covers every event.
    catch_up_seconds: f64,
    log_bytes_per_event: f64,
    /// CPU seconds this process and PostgreSQL spent from the first request until a checkpoint
    /// covered every event.
    cpu_seconds: f64,
}

/// CPU seconds spent so far by this process (the clients and the server in it) and by the
/// processes named `postgres` on this machine; the postmaster's children times hold the
/// backends that have exited. 0 for PostgreSQL when it runs elsewhere.
fn cpu_seconds() -> (f64, f64) {
    let own = process_ticks("/proc/self/stat", false).map_or(0, |(_, t)| t);
    let mut postgres = 0;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        if let Some((name, t)) = process_ticks(entry.path().join("stat"), true) {
            if name == "postgres" {
                postgres += t;
            }
        }
    }
    (
        own as f64 / TICKS_PER_SECOND,
        postgres as f64 / TICKS_PER_SECOND,
    )
}

/// v2 leaves against format-1 leaves on the same feed, in alternating order, round by round;
/// prints each round, then the geometric means of the per-round ratios.
#[cfg(feature = "v1-leaf-comparison")]
fn compare_leaf_formats(backend: &str, lines: &[String], rounds: usize) {
    use einblick::db::access_event::v1_leaf_comparison::write_v1_leaves;
    assert_eq!(
        backend, "postgres",
        "the leaf comparison runs on PostgreSQL"
    );
    let events = lines.len() as f64;
    let (mut rate_ratios, mut cpu_ratios) = (Vec::new(), Vec::new());
    let (mut v1_rates, mut v2_rates, mut v1_cpu, mut v2_cpu) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    println!(
        "\n{:<8} {:>14} {:>14} {:>16} {:>16}",
        "round", "v1 events/s", "v2 events/s", "v1 CPU µs/event", "v2 CPU µs/event"
    );
    for round in 0..rounds {
        let mut measured = [(0.0, 0.0); 2];
        // Alternate which format goes first, so a machine getting busier or quieter over a
        // round does not favour one of them.
        let order = if round % 2 == 0 { [1, 2] } else { [2, 1] };
        for format in order {
            write_v1_leaves(format == 1);
            let run = http_ingest(backend, lines, Cadence::Default);
            write_v1_leaves(false);
            // Events per second until a signed checkpoint covers them: v1 pays for hashing its
            // leaves there, v2 at insert.
            let seconds = events / run.rate + run.catch_up_seconds;
            measured[format - 1] = (events / seconds, run.cpu_seconds / events * 1e6);
        }
        let [(v1_rate, v1_us), (v2_rate, v2_us)] = measured;
        println!(
            "{:<8} {v1_rate:>14.0} {v2_rate:>14.0} {v1_us:>16.1} {v2_us:>16.1}",
            format!("{} ({}{})", round + 1, order[0], order[1])
        );
        rate_ratios.push(v2_rate / v1_rate);
        cpu_ratios.push(v2_us / v1_us);
        v1_rates.push(v1_rate);
        v2_rates.push(v2_rate);
        v1_cpu.push(v1_us);
        v2_cpu.push(v2_us);
    }
    let median = |values: &[f64]| Rates::of(values).median;
    println!(
        "\nmedians: v1 {:.0} events/s, v2 {:.0} events/s; v1 {:.1} µs CPU/event, v2 {:.1}",
        median(&v1_rates),
        median(&v2_rates),
        median(&v1_cpu),
        median(&v2_cpu)
    );
    // Geometric means of the per-round ratios: a round run in one order and a round run in the
    // other weigh the same, so what the order does cancels out.
    let geometric_mean =
        |ratios: &[f64]| (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp();
    // 95 % confidence interval of the geometric mean (normal approximation on the logarithms).
    let interval = |ratios: &[f64]| {
        let logs: Vec<f64> = ratios.iter().map(|r| r.ln()).collect();
        let n = logs.len() as f64;
        let mean = logs.iter().sum::<f64>() / n;
        let variance = logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
        let half = 1.96 * (variance / n).sqrt();
        ((mean - half).exp(), (mean + half).exp())
    };
    let by_order = |ratios: &[f64], first: usize| -> Vec<f64> {
        ratios.iter().skip(first).step_by(2).copied().collect()
    };
    for (what, ratios) in [("events/s", &rate_ratios), ("CPU per event", &cpu_ratios)] {
        let range = Rates::of(ratios);
        let (low, high) = interval(ratios);
        println!(
            "v2 / v1 {what}, geometric mean of {rounds} rounds: {:.3}, 95 % interval {low:.3}–{high:.3} (v1 first {:.3}, v2 first {:.3}; range {:.3}–{:.3})",
            geometric_mean(ratios),
            geometric_mean(&by_order(ratios, 0)),
            geometric_mean(&by_order(ratios, 1)),
            range.min,
            range.max
        );
    }
    println!(
        "ingest slowdown from v2 leaves: {:.1} % (events/s); CPU per event {:+.1} %",
        (1.0 - geometric_mean(&rate_ratios)) * 100.0,
        (geometric_mean(&cpu_ratios) - 1.0) * 100.0
    );
}

fn http_ingest(backend: &str, lines: &[String], cadence: Cadence) -> HttpRun {
    let label = if cadence == Cadence::Off {
        "http_nolog"
    } else {
        "http"
    };
    let (db, _guard) = common::scratch_database(backend, label);
    let token = {
        let mut conn = db.get().unwrap();
        einblick::ingest::token::create(
            &mut conn,
            "bench",
            &["/bench/feed".into()],
            chrono::Utc::now().naive_utc(),
        )
        .unwrap()
        .1
    };
    let state = AppState::new(db.clone(), settings_with(&db, None, cadence)).expect("log keys");
    let keys = state.log_keys.clone();
    let server = BackgroundServer::start(state).unwrap();
    let bodies: Vec<String> = lines
        .chunks(BATCH)
        .map(|chunk| format!("[{}]", chunk.join(",")))
        .collect();
    let url = format!("http://{}/api/v1/feed/events", server.addr);
    if backend == "postgres" {
        // Each run starts with nothing left to write from the one before: otherwise the
        // second run of a round pays for the first's dirty pages and comes out up to a fifth
        // slower.
        let mut admin = diesel::PgConnection::establish(&common::admin_url()).unwrap();
        diesel::sql_query("CHECKPOINT").execute(&mut admin).unwrap();
        std::thread::sleep(Duration::from_secs(1));
    }
    let cpu_before = cpu_seconds();
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
                    assert_eq!(report["accepted"].as_u64(), Some(BATCH as u64));
                }
            });
        }
    });
    let rate = lines.len() as f64 / started.elapsed().as_secs_f64();
    assert_eq!(count(&db), lines.len() as i64);
    drop(server);

    let mut conn = db.get().unwrap();
    let started = Instant::now();
    let now = chrono::Utc::now().naive_utc();
    while einblick::transparency::checkpoint::issue(&mut conn, &keys, now)
        .unwrap()
        .is_some()
    {}
    let catch_up_seconds = started.elapsed().as_secs_f64();
    let cpu_after = cpu_seconds();
    HttpRun {
        rate,
        catch_up_seconds,
        cpu_seconds: (cpu_after.0 - cpu_before.0) + (cpu_after.1 - cpu_before.1),
        log_bytes_per_event: log_bytes(&mut conn) / lines.len() as f64,
    }
}

/// Storage the log adds: its tiles, plus the leaf index column and its unique index.
fn log_bytes(conn: &mut AnyConnection) -> f64 {
    #[derive(QueryableByName)]
    struct Bytes {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        bytes: i64,
    }
    let sql = match conn {
        AnyConnection::Postgresql(_) => {
            // The leaf index is partitioned with the table: its size is its partitions'.
            "SELECT (pg_total_relation_size('log_tiles') \
             + (SELECT coalesce(sum(pg_relation_size(inhrelid)), 0) FROM pg_inherits \
                WHERE inhparent = 'access_events_leaf'::regclass) \
             + 8 * (SELECT count(*) FROM access_events))::BIGINT AS bytes"
        }
        // SQLite: the tiles' hashes, 8 bytes per leaf index and about 12 per index entry
        // (key, rowid and cell overhead), as dbstat is not compiled in.
        AnyConnection::Sqlite(_) => {
            "SELECT (SELECT sum(length(hashes)) FROM log_tiles) \
             + 20 * (SELECT count(*) FROM access_events) AS bytes"
        }
    };
    diesel::sql_query(sql)
        .get_result::<Bytes>(conn)
        .unwrap()
        .bytes as f64
}

fn raw_label(backend: &str) -> &'static str {
    if backend == "sqlite" {
        "raw: one SQLite transaction of prepared inserts"
    } else {
        "raw: PostgreSQL COPY (CSV)"
    }
}

/// How the raw baselines store the log's columns.
#[derive(Clone, Copy, PartialEq)]
enum Leaves {
    /// Format 1: a leaf index, no chain.
    V1,
    /// Format 2: each customer's previous leaf and its hash, the entry count and the leaf hash.
    V2,
}

/// A made-up leaf hash for the raw v2 baseline.
const SOME_HASH: [u8; 32] = [0xab; 32];

fn raw_load(db: &Database, rows: &[NewAccessEvent], leaves: Leaves) {
    let mut conn = db.get().unwrap();
    match &mut *conn {
        AnyConnection::Postgresql(c) => {
            use einblick::db::schema::access_events;
            diesel::copy_from(access_events::table)
                .from_raw_data(access_events::table, |out| {
                    for (n, row) in rows.iter().enumerate() {
                        writeln!(out, "{}", csv_row(n as i64 + 1, row, leaves))
                            .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
                    }
                    diesel::QueryResult::Ok(())
                })
                .with_format(diesel::pg::CopyFormat::Csv)
                .execute(c)
                .unwrap();
        }
        AnyConnection::Sqlite(c) => {
            c.transaction(|c| {
                use access_events::dsl as ae;
                use einblick::db::schema::access_events;
                for (leaf_index, row) in (0i64..).zip(rows) {
                    let chained = leaves == Leaves::V2;
                    let previous = (chained && leaf_index > 0).then_some(leaf_index - 1);
                    diesel::insert_into(access_events::table)
                        .values((
                            row,
                            ae::leaf_index.eq(leaf_index),
                            ae::leaf_format.eq(if chained { 2 } else { 1 }),
                            ae::customer_previous_leaf.eq(previous),
                            ae::customer_previous_hash.eq(previous.map(|_| SOME_HASH.to_vec())),
                            ae::customer_entry.eq(chained.then_some(leaf_index + 1)),
                            ae::leaf_hash.eq(chained.then(|| SOME_HASH.to_vec())),
                        ))
                        .execute(c)?;
                }
                diesel::QueryResult::Ok(())
            })
            .unwrap();
        }
    }
}

/// One row in the table's column order, as PostgreSQL's CSV COPY reads it (empty = NULL).
fn csv_row(id: i64, row: &NewAccessEvent, leaves: Leaves) -> String {
    let text = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let optional = |s: &Option<String>| s.as_deref().map(text).unwrap_or_default();
    [
        id.to_string(),
        text(&row.source),
        text(&row.event_id),
        row.occurred_at.to_string(),
        row.received_at.to_string(),
        text(&row.customer_ref),
        text(&row.employee_id),
        text(&row.role_code),
        optional(&row.team),
        optional(&row.office_country),
        text(&row.data_category),
        text(&row.action),
        text(&row.reason_code),
        optional(&row.reason_text),
        optional(&row.ticket_ref),
        optional(&row.system),
        text(&row.content_sha256),
        String::new(),
        (id - 1).to_string(),
    ]
    .into_iter()
    .chain(match leaves {
        // leaf_format, previous leaf and its hash, entry, leaf hash.
        Leaves::V1 => [
            "1".into(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ],
        Leaves::V2 => {
            let hash = format!("\"\\x{}\"", hex::encode(SOME_HASH));
            let previous = if id > 1 {
                (id - 2).to_string()
            } else {
                String::new()
            };
            let previous_hash = if id > 1 { hash.clone() } else { String::new() };
            ["2".into(), previous, previous_hash, id.to_string(), hash]
        }
    })
    .collect::<Vec<_>>()
    .join(",")
}

fn count(db: &Database) -> i64 {
    db.get()
        .map(|mut c| access_event::count(&mut c).unwrap_or(0))
        .unwrap_or(0)
}

fn settings(db: &Database, nats: Option<NatsSettings>) -> Settings {
    settings_with(db, nats, Cadence::Default)
}

/// How often the verifiable log signs checkpoints while events stream in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cadence {
    /// As configured by default: every 1,000 events or 30 s.
    Default,
    /// Never during the run: leaf indices only, no tiles, no signatures.
    Off,
}

fn settings_with(db: &Database, nats: Option<NatsSettings>, cadence: Cadence) -> Settings {
    let mut env = BTreeMap::from([
        ("LEPTOS_SITE_ADDR".to_owned(), "127.0.0.1:0".to_owned()),
        ("EINBLICK_LOG".to_owned(), "warn".to_owned()),
        (
            "EINBLICK_LOG_KEY_DIR".to_owned(),
            common::log_key_dir().display().to_string(),
        ),
    ]);
    if cadence == Cadence::Off {
        env.insert("EINBLICK_CHECKPOINT_EVERY_EVENTS".into(), "1000000".into());
        env.insert("EINBLICK_CHECKPOINT_EVERY_SECONDS".into(), "86400".into());
    }
    let mut settings = Settings::from_sources(&BTreeMap::new(), &env).unwrap();
    settings.database = db.location().clone();
    settings.nats = nats;
    settings
}
