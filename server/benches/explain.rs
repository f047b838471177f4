//! Explanations benchmark, three figures:
//!
//! 1. Ingest with the judge (explanations and rules) running vs switched off: a generated feed of
//!    accesses with the business records and directory that go with them, sent as HTTP batches of
//!    1,000 from two clients through the real server. "Off" is done when every event is stored;
//!    "on" when every access is also judged. Target: on at most 20 % slower.
//! 2. The share of those accesses that business records explain (target ≥ 90 %), and how the rest
//!    is split between unexplained and flagged.
//! 3. `einblick detect` (the backtest) over 1 M stored accesses. Target: under 60 s.
//!
//! PostgreSQL: `source .ci/env && cargo bench -p server --bench explain`
//! SQLite:     `source .ci/env && EINBLICK_BENCH_BACKEND=sqlite cargo bench -p server --bench explain`
//! Optional: EINBLICK_BENCH_EVENTS (accesses for 1 and 2, default 100000),
//! EINBLICK_BENCH_BACKTEST_EVENTS (default 1000000), EINBLICK_BENCH_ROUNDS (default 3).
//!
//! The feed is what a retailer's systems would send: support agents on their team's tickets,
//! warehouse staff on orders and shipments, returns, payment checks, legal requests — and the
//! accesses no record explains: engineers on call, looks at tickets closed days ago, and a few
//! percent of browsing without a reason. Its mix decides the explained share; the mix is printed.

// A benchmark that cannot set up its data has nothing to measure: it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, Timelike};
use diesel::prelude::*;
use einblick::config::Settings;
use einblick::db::schema::{access_events, access_explanations};
use einblick::db::{AnyConnection, Database};
use einblick::explain::Explainer;
use einblick::http::BackgroundServer;
use einblick::ingest::store::{self, IngestRules, RawEvent, SourcePolicy, Transport};
use einblick::state::AppState;
use einblick::transparency::LogKeys;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

const BATCH: usize = 1000;
const CLIENTS: usize = 2;
const DAYS: i64 = 28;
const ACCESS_SOURCE: &str = "/bench/feed";
const REFERENCE_SOURCE: &str = "/bench/shop";

fn main() {
    let backend = std::env::var("EINBLICK_BENCH_BACKEND").unwrap_or_else(|_| "postgres".into());
    let number = |name: &str, default: usize| -> usize {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let accesses = number("EINBLICK_BENCH_EVENTS", 100_000);
    let backtest_accesses = number("EINBLICK_BENCH_BACKTEST_EVENTS", 1_000_000);
    let rounds = number("EINBLICK_BENCH_ROUNDS", 3).max(1);

    // The server's own warnings and errors explain a failed request.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
        .with_writer(std::io::stderr)
        .try_init();
    let feed = Feed::generate(accesses, 7);
    println!(
        "{backend}: {} accesses, {} records and directory entries ({} lines), {rounds} rounds",
        feed.accesses,
        feed.lines.len() - feed.accesses,
        feed.lines.len()
    );
    feed.print_mix();

    let (mut off, mut on) = (Vec::new(), Vec::new());
    let mut shares = None;
    for round in 1..=rounds {
        off.push(http_ingest(&backend, &feed, false));
        let run = http_ingest(&backend, &feed, true);
        shares = run.states.clone();
        on.push(run);
        eprintln!("round {round} of {rounds} done");
    }
    let median = |runs: &[Run], pick: fn(&Run) -> f64| -> f64 {
        let mut values: Vec<f64> = runs.iter().map(pick).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let range = |runs: &[Run], pick: fn(&Run) -> f64| -> String {
        let values: Vec<f64> = runs.iter().map(pick).collect();
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(0.0, f64::max);
        format!("{min:.0}–{max:.0}")
    };
    let off_rate = median(&off, |r| r.stored_rate);
    let on_stored = median(&on, |r| r.stored_rate);
    let on_judged = median(&on, |r| r.judged_rate);
    println!(
        "\n{:<62} {:>10} {:>16}",
        "ingest, lines/s (median of the rounds)", "lines/s", "range"
    );
    println!(
        "{:<62} {:>10.0} {:>16}",
        "judge off: stored",
        off_rate,
        range(&off, |r| r.stored_rate)
    );
    println!(
        "{:<62} {:>10.0} {:>16}",
        "judge on: stored (the judge working alongside)",
        on_stored,
        range(&on, |r| r.stored_rate)
    );
    println!(
        "{:<62} {:>10.0} {:>16}",
        "judge on: stored and every access judged",
        on_judged,
        range(&on, |r| r.judged_rate)
    );
    println!(
        "{:<62} {:>9.1}%",
        "slowdown, stored and judged vs off (target ≤ 20 %)",
        (1.0 - on_judged / off_rate) * 100.0
    );
    println!(
        "{:<62} {:>9.1}%",
        "slowdown of storing alone",
        (1.0 - on_stored / off_rate) * 100.0
    );
    if let Some(states) = shares {
        let total: i64 = states.values().sum();
        println!("\nexplanation states of the {total} accesses (last round):");
        for (state, count) in &states {
            println!(
                "  {state:<14} {count:>9} {:>6.1} %",
                *count as f64 * 100.0 / total as f64
            );
        }
        let explained = states.get("explained").copied().unwrap_or(0);
        println!(
            "{:<62} {:>9.1}%",
            "explained share (target ≥ 90 %)",
            explained as f64 * 100.0 / total as f64
        );
    }

    backtest(&backend, backtest_accesses);
}

/// One ingest run.
struct Run {
    stored_rate: f64,
    judged_rate: f64,
    states: Option<BTreeMap<String, i64>>,
}

fn http_ingest(backend: &str, feed: &Feed, judge: bool) -> Run {
    let (db, _guard) = common::scratch_database(backend, if judge { "judge" } else { "nojudge" });
    let token = {
        let mut conn = db.get().unwrap();
        retailer_roles(&mut conn);
        einblick::ingest::token::create(
            &mut conn,
            "bench",
            &[ACCESS_SOURCE.into(), REFERENCE_SOURCE.into()],
            chrono::Utc::now().naive_utc(),
        )
        .unwrap()
        .1
    };
    let mut state = AppState::new(db.clone(), settings(&db)).expect("log keys");
    if !judge {
        state.explainer = Explainer::off();
    }
    let server = BackgroundServer::start(state).unwrap();
    let bodies: Vec<String> = feed
        .lines
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
                        .unwrap_or_else(|e| match e {
                            ureq::Error::Status(code, answer) => {
                                panic!("{code}: {}", answer.into_string().unwrap_or_default())
                            }
                            other => panic!("{other}"),
                        })
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
    assert_eq!(events, feed.accesses as i64);
    if !judge {
        drop(server);
        let rate = feed.lines.len() as f64 / stored;
        return Run {
            stored_rate: rate,
            judged_rate: rate,
            states: None,
        };
    }
    while judged(&mut conn) < events {
        assert!(
            started.elapsed() < Duration::from_secs(1800),
            "the judge is too slow"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let judged_seconds = started.elapsed().as_secs_f64();
    drop(server);
    Run {
        stored_rate: feed.lines.len() as f64 / stored,
        judged_rate: feed.lines.len() as f64 / judged_seconds,
        states: Some(states(&mut conn)),
    }
}

fn judged(conn: &mut AnyConnection) -> i64 {
    access_explanations::table
        .filter(access_explanations::state.ne("pending"))
        .count()
        .get_result(conn)
        .unwrap()
}

fn states(conn: &mut AnyConnection) -> BTreeMap<String, i64> {
    access_explanations::table
        .group_by(access_explanations::state)
        .select((access_explanations::state, diesel::dsl::count_star()))
        .load::<(String, i64)>(conn)
        .unwrap()
        .into_iter()
        .collect()
}

/// `einblick detect` over a database of `accesses` stored accesses with their records.
fn backtest(backend: &str, accesses: usize) {
    let feed = Feed::generate(accesses, 11);
    let (db, _guard) = common::scratch_database(backend, "backtest");
    retailer_roles(&mut db.get().unwrap());
    let keys = LogKeys::load_or_create(&common::log_key_dir(), "127.0.0.1:3000/log").unwrap();
    let mut conn = db.get().unwrap();
    let loading = Instant::now();
    for (n, chunk) in feed.lines.chunks(2 * BATCH).enumerate() {
        let raw: Vec<RawEvent<'_>> = chunk
            .iter()
            .enumerate()
            .map(|(position, line)| RawEvent {
                position,
                bytes: line.as_bytes(),
            })
            .collect();
        let report = store::store_batch(
            &mut conn,
            &raw,
            Transport::Import,
            &SourcePolicy::Any,
            &IngestRules {
                reference_sources: &SourcePolicy::Any,
                keys: &keys,
                retention: None,
            },
            chrono::Utc::now().naive_utc(),
        )
        .unwrap();
        assert_eq!(report.rejected, 0);
        if n % 100 == 0 {
            eprintln!(
                "backtest data: {} of {} lines",
                n * 2 * BATCH,
                feed.lines.len()
            );
        }
    }
    eprintln!(
        "backtest data stored in {:.0} s",
        loading.elapsed().as_secs_f64()
    );
    let (from, to) = (feed.start, feed.start + chrono::Duration::days(DAYS + 15));
    let started = Instant::now();
    einblick::explain::run::learn_baselines_from_accesses(&mut conn, to).unwrap();
    let learned = started.elapsed().as_secs_f64();
    let result = einblick::explain::backtest::backtest(&mut conn, from, to, None).unwrap();
    let seconds = started.elapsed().as_secs_f64();
    // A few looks long after a closed ticket fall after the range: nearly all must be in it.
    assert!(
        result.accesses * 100 >= accesses as u64 * 99,
        "{} of {accesses} accesses in the range",
        result.accesses
    );
    println!(
        "\nbacktest (einblick detect) over {} accesses: {seconds:.1} s (target < 60 s; \
         {learned:.1} s of it learning the baselines), {:.0} accesses/s",
        result.accesses,
        result.accesses as f64 / seconds
    );
    println!(
        "  explained {:.1} %, flagged {:.1} %",
        result.share(result.explained),
        result.share(result.flagged)
    );
    for (rule, figures) in &result.rules {
        println!(
            "  {:<26} {:>9} {:>7.2} %",
            rule.code(),
            figures.fired,
            result.share(figures.fired)
        );
    }
}

/// The retailer's roles with their departments, as a deployment configures them: a role's
/// department decides which kinds of record explain it.
fn retailer_roles(conn: &mut AnyConnection) {
    use einblick::seed::demo;
    einblick::db::lookup::insert_retailer_lookups(
        conn,
        &demo::roles(),
        &demo::categories(),
        &demo::systems(),
    )
    .unwrap();
}

fn settings(db: &Database) -> Settings {
    let env = BTreeMap::from([
        ("LEPTOS_SITE_ADDR".to_owned(), "127.0.0.1:0".to_owned()),
        ("EINBLICK_LOG".to_owned(), "warn".to_owned()),
        (
            "EINBLICK_LOG_KEY_DIR".to_owned(),
            common::log_key_dir().display().to_string(),
        ),
        (
            "EINBLICK_REFERENCE_SOURCES".to_owned(),
            REFERENCE_SOURCE.to_owned(),
        ),
    ]);
    let mut settings = Settings::from_sources(&BTreeMap::new(), &env).unwrap();
    settings.database = db.location().clone();
    settings
}

/// The kinds of story the feed tells, with their share in percent.
const STORIES: [(Story, u32); 9] = [
    (Story::SupportTicket, 52),
    (Story::Order, 26),
    (Story::Return, 6),
    (Story::Payment, 5),
    (Story::Legal, 2),
    (Story::OnCall, 4),
    (Story::StaleTicket, 2),
    (Story::Browsing, 2),
    (Story::HighProfileBrowsing, 1),
];

#[derive(Clone, Copy, Debug)]
enum Story {
    /// A support agent works on a ticket of their team (explained).
    SupportTicket,
    /// The warehouse packs and ships an order (explained).
    Order,
    /// A return is processed (explained).
    Return,
    /// A payment check or fraud case (explained).
    Payment,
    /// A legal request (explained).
    Legal,
    /// An engineer on call looks into a customer's account: no business record (unexplained).
    OnCall,
    /// An agent looks again a week after the ticket was closed (unexplained).
    StaleTicket,
    /// Someone looks without a reason, often at night (flagged).
    Browsing,
    /// Someone looks at a high-profile customer (flagged).
    HighProfileBrowsing,
}

/// An employee of the generated retailer.
struct Employee {
    id: String,
    role: &'static str,
    team: &'static str,
    department: usize,
}

/// The generated feed: lines in the order the systems would send them.
struct Feed {
    lines: Vec<String>,
    accesses: usize,
    start: NaiveDateTime,
    mix: BTreeMap<String, usize>,
}

impl Feed {
    fn generate(accesses: usize, seed: u64) -> Feed {
        let mut rng = StdRng::seed_from_u64(seed);
        // Four weeks ending a fortnight ago: records close up to two weeks after they open, and
        // nothing may be described as happening in the future.
        let start = (chrono::Utc::now().naive_utc() - chrono::Duration::days(DAYS + 15))
            .with_hour(0)
            .unwrap();
        let departments: [(&[&str], &[&str], usize); 5] = [
            (
                &["cs_agent_t1", "cs_agent_t2", "cs_chat_agent"],
                &["Support Berlin", "Support Leipzig", "Support Porto"],
                200,
            ),
            (
                &["wh_fulfilment_agent", "wh_returns_agent"],
                &["Warehouse Erfurt", "Warehouse Poznań"],
                100,
            ),
            (
                &["pay_agent", "fraud_analyst", "chargeback_agent"],
                &["Payments"],
                40,
            ),
            (&["legal_counsel", "dpo_office"], &["Legal"], 10),
            (&["sre_oncall", "support_engineer"], &["Platform"], 30),
        ];
        let mut employees = Vec::new();
        let mut staff_of: Vec<Vec<usize>> = vec![Vec::new(); departments.len()];
        let mut timed: Vec<(NaiveDateTime, String)> = Vec::new();
        for (department, (roles, teams, count)) in departments.iter().enumerate() {
            for n in 0..*count {
                let employee = Employee {
                    id: format!("E-{}{:04}", department + 1, n),
                    role: roles[n % roles.len()],
                    team: teams[n % teams.len()],
                    department,
                };
                let shift = if department == 4 { "00-24" } else { "07-20" };
                timed.push((
                    start,
                    event(
                        &format!("dir-{}", employee.id),
                        "einblick.employee.v1",
                        start,
                        json!({
                            "employee_id": employee.id, "team": employee.team, "shift": shift,
                            "surname": format!("Surname{}", rng.random_range(0..5000)),
                            "postcode": format!("{:05}", rng.random_range(1000..99999)),
                            "active": true
                        }),
                    ),
                ));
                staff_of[department].push(employees.len());
                employees.push(employee);
            }
        }
        let customers = (accesses / 5).max(100);
        let high_profile: Vec<usize> = (0..customers.div_ceil(1000)).collect();
        for &c in &high_profile {
            timed.push((
                start,
                event(
                    &format!("cust-{c}"),
                    "einblick.customer.v1",
                    start,
                    json!({ "customer_ref": customer(c), "high_profile": true }),
                ),
            ));
        }

        let mut mix: BTreeMap<String, usize> = BTreeMap::new();
        let mut generated = 0;
        let mut story_number = 0usize;
        while generated < accesses {
            story_number += 1;
            let roll = rng.random_range(0..100);
            let mut bound = 0;
            let story = STORIES
                .iter()
                .find(|(_, share)| {
                    bound += share;
                    roll < bound
                })
                .map(|(story, _)| *story)
                .unwrap_or(Story::SupportTicket);
            let c = rng.random_range(high_profile.len()..customers);
            // Opened during working hours on one of the days.
            let opened = start
                + chrono::Duration::days(rng.random_range(0..DAYS))
                + chrono::Duration::minutes(rng.random_range(7 * 60..19 * 60));
            let pick = |rng: &mut StdRng, department: usize| -> &Employee {
                let list = &staff_of[department];
                &employees[list[rng.random_range(0..list.len())]]
            };
            let mut looks: Vec<(NaiveDateTime, &Employee, serde_json::Value)> = Vec::new();
            match story {
                Story::SupportTicket | Story::StaleTicket => {
                    let agent = pick(&mut rng, 0);
                    let reference = format!("T-{story_number}");
                    let hours = rng.random_range(1..72);
                    let closed = opened + chrono::Duration::hours(hours);
                    let assigned = if rng.random_bool(0.5) {
                        json!(agent.id)
                    } else {
                        serde_json::Value::Null
                    };
                    let record = json!({
                        "customer_ref": customer(c), "kind": "support_ticket",
                        "reference": reference, "opened_at": rfc3339(opened),
                        "assigned_team": agent.team, "assigned_employee_id": assigned
                    });
                    timed.push((opened, context(&reference, 0, opened, record.clone())));
                    let mut closing = record;
                    closing["closed_at"] = json!(rfc3339(closed));
                    timed.push((closed, context(&reference, 1, closed, closing)));
                    if matches!(story, Story::StaleTicket) {
                        let at = within_day_shift(
                            closed + chrono::Duration::hours(rng.random_range(72..240)),
                        );
                        looks.push((
                            at,
                            agent,
                            reason("customer_request", Some(&reference), "messages"),
                        ));
                    } else {
                        for _ in 0..rng.random_range(1..=4) {
                            let at = within_day_shift(
                                opened + chrono::Duration::minutes(rng.random_range(0..hours * 60)),
                            );
                            let ticket = rng.random_bool(0.7).then_some(reference.as_str());
                            let category = ["messages", "purchase_history", "addresses"]
                                [rng.random_range(0..3)];
                            looks.push((at, agent, reason("customer_request", ticket, category)));
                        }
                    }
                }
                Story::Order | Story::Return | Story::Payment | Story::Legal => {
                    let (kind, department, code, prefix, days) = match story {
                        Story::Order => ("order", 1, "order_fulfilment", "O", 3),
                        Story::Return => ("return", 1, "order_fulfilment", "R", 7),
                        Story::Payment => {
                            let kind = if rng.random_bool(0.5) {
                                "payment_dispute"
                            } else {
                                "fraud_case"
                            };
                            (kind, 2, "payment_and_fraud", "P", 7)
                        }
                        _ => ("legal_request", 3, "legal_obligation", "L", 14),
                    };
                    let reference = format!("{prefix}-{story_number}");
                    let closed = opened + chrono::Duration::hours(rng.random_range(12..24 * days));
                    let record = json!({
                        "customer_ref": customer(c), "kind": kind, "reference": reference,
                        "opened_at": rfc3339(opened)
                    });
                    timed.push((opened, context(&reference, 0, opened, record.clone())));
                    let mut closing = record;
                    closing["closed_at"] = json!(rfc3339(closed));
                    timed.push((closed, context(&reference, 1, closed, closing)));
                    let span = (closed - opened).num_minutes();
                    for _ in 0..rng.random_range(1..=3) {
                        let at = opened + chrono::Duration::minutes(rng.random_range(0..span));
                        let at = within_day_shift(at);
                        let employee = pick(&mut rng, department);
                        let category = match department {
                            1 => "addresses",
                            2 => "payment_methods",
                            _ => "account_profile",
                        };
                        looks.push((at, employee, reason(code, None, category)));
                    }
                }
                Story::OnCall => {
                    let engineer = pick(&mut rng, 4);
                    looks.push((
                        opened,
                        engineer,
                        reason("technical_operations", None, "account_profile"),
                    ));
                }
                Story::Browsing | Story::HighProfileBrowsing => {
                    let department = rng.random_range(0..2);
                    let snooper = pick(&mut rng, department);
                    let target = if matches!(story, Story::HighProfileBrowsing) {
                        high_profile[rng.random_range(0..high_profile.len())]
                    } else {
                        c
                    };
                    let at = if rng.random_bool(0.5) {
                        opened.with_hour(rng.random_range(0..5)).unwrap()
                    } else {
                        opened
                    };
                    let mut look = reason("none", None, "purchase_history");
                    look["customer_ref"] = json!(customer(target));
                    looks.push((at, snooper, look));
                }
            }
            *mix.entry(format!("{story:?}")).or_default() += looks.len();
            for (at, employee, mut data) in looks {
                if generated == accesses {
                    break;
                }
                if data.get("customer_ref").is_none() {
                    data["customer_ref"] = json!(customer(c));
                }
                data["actor"] = json!({
                    "employee_id": employee.id, "role": employee.role, "team": employee.team,
                    "country": "DE"
                });
                data["action"] = json!("view");
                data["system"] = json!(
                    [
                        "support-console",
                        "wms",
                        "payments-hub",
                        "legal-desk",
                        "ops-console"
                    ][employee.department]
                );
                generated += 1;
                timed.push((
                    at,
                    event(
                        &format!("acc-{generated:09}"),
                        "einblick.access.v1",
                        at,
                        data,
                    ),
                ));
            }
        }
        timed.sort_by_key(|(at, _)| *at);
        Feed {
            lines: timed.into_iter().map(|(_, line)| line).collect(),
            accesses,
            start,
            mix,
        }
    }

    fn print_mix(&self) {
        let line: Vec<String> = self
            .mix
            .iter()
            .map(|(story, count)| {
                format!(
                    "{story} {:.1} %",
                    *count as f64 * 100.0 / self.accesses as f64
                )
            })
            .collect();
        println!("accesses by story: {}", line.join(", "));
    }
}

fn customer(n: usize) -> String {
    format!("C-7{n:06}")
}

fn rfc3339(at: NaiveDateTime) -> String {
    at.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Moves a time at night into the same day's working hours: the directory gives everyone but
/// the engineers on call a day shift.
fn within_day_shift(at: NaiveDateTime) -> NaiveDateTime {
    // The directory's shifts are Berlin time; 08–18 UTC is inside 07–20 Berlin all year.
    if (8..18).contains(&at.hour()) {
        at
    } else {
        at.with_hour(8 + at.hour() % 10).unwrap()
    }
}

fn reason(code: &str, ticket: Option<&str>, category: &str) -> serde_json::Value {
    let mut reason = json!({ "code": code });
    if let Some(ticket) = ticket {
        reason["ticket"] = json!(ticket);
    }
    json!({ "data_category": category, "reason": reason })
}

fn context(reference: &str, version: u8, at: NaiveDateTime, data: serde_json::Value) -> String {
    event(
        &format!("ctx-{reference}-{version}"),
        "einblick.context.v1",
        at,
        data,
    )
}

fn event(id: &str, kind: &str, at: NaiveDateTime, data: serde_json::Value) -> String {
    let source = if kind == "einblick.access.v1" {
        ACCESS_SOURCE
    } else {
        REFERENCE_SOURCE
    };
    json!({
        "specversion": "1.0", "id": id, "source": source, "type": kind, "time": rfc3339(at),
        "datacontenttype": "application/json", "data": data
    })
    .to_string()
}
