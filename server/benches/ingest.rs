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

// A benchmark that cannot set up its data has nothing to measure: it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use einblick::config::{NatsSettings, Secret, Settings, SubjectBinding};
use einblick::db::access_event::{self, NewAccessEvent};
use einblick::db::{AnyConnection, Database};
use einblick::http::BackgroundServer;
use einblick::state::AppState;

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
        .unwrap_or(3)
        .max(1);
    let lines: Vec<String> = (0..events).map(event_json).collect();
    println!("{events} events, {backend}, {rounds} rounds");

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
            let (raw_db, raw_guard) = common::scratch_database(&backend, "raw");
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
        without_log.push(http_ingest(&backend, &lines, Cadence::Off));
        with_log.push(http_ingest(&backend, &lines, Cadence::Default));
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
    raw_rate.print(raw_label(&backend));
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
        "log bytes per event (tiles + leaf index + its index)", with_log.log_bytes_per_event
    );

    // NATS consumer: publish everything first, then time the consumer draining it.
    let (nats_db, _nats_guard) = common::scratch_database(&backend, "nats");
    let stream = format!("EINBLICK_BENCH_{}", std::process::id());
    let subject = format!("einblick.bench.{}", std::process::id());
    let published = {
        let (stream, subject, lines) = (stream.clone(), subject.clone(), lines.clone());
        actix_web::rt::System::new().block_on(async move {
            let client = async_nats::connect("nats://127.0.0.1:4222").await?;
            let context = async_nats::jetstream::new(client.clone());
            context
                .get_or_create_stream(async_nats::jetstream::stream::Config {
                    name: stream,
                    subjects: vec![format!("{subject}.>")],
                    ..Default::default()
                })
                .await?;
            // Acks are awaited in windows: the client limits how many may be in flight.
            for window in lines.chunks(500) {
                let mut acks = Vec::with_capacity(window.len());
                for line in window {
                    acks.push(
                        context
                            .publish(format!("{subject}.feed"), line.clone().into())
                            .await?,
                    );
                }
                for ack in acks {
                    ack.await?;
                }
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
    };
    if let Err(e) = published {
        println!("NATS consumer: skipped ({e})");
        return;
    }
    let nats = NatsSettings {
        url: Secret::new("nats://127.0.0.1:4222"),
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
    let _ = actix_web::rt::System::new().block_on(async move {
        let client = async_nats::connect("nats://127.0.0.1:4222").await?;
        async_nats::jetstream::new(client)
            .delete_stream(&stream)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string().into())
            as Result<(), Box<dyn std::error::Error + Send + Sync>>
    });
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
    HttpRun {
        rate,
        catch_up_seconds,
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
            "SELECT (pg_total_relation_size('log_tiles') + pg_relation_size('access_events_leaf') \
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

fn event_json(n: usize) -> String {
    serde_json::json!({
        "specversion": "1.0", "id": format!("bench-{n:08}"), "source": "/bench/feed", "type": "einblick.access.v1",
        "time": "2026-11-20T14:02:11Z", "datacontenttype": "application/json",
        "data": {
            "customer_ref": format!("C-5{:05}", n % 50_000),
            "actor": { "employee_id": format!("E-{}", 1000 + n % 60), "role": "cs_agent_t1", "team": "Support Berlin", "country": "DE" },
            "data_category": "purchase_history", "action": "view",
            "reason": { "code": "customer_request", "text": "Asked about a delayed parcel", "ticket": format!("T-{}", 40_000 + n) },
            "system": "support-console"
        }
    })
    .to_string()
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
