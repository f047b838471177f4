//! Report benchmark: a customer's access report over 10,000 events in every format, and the
//! aggregate statistics over all events (1 M on PostgreSQL, 100 k on SQLite), both through the
//! real server over HTTP (sign-in excluded). Prints median and worst of the runs.
//!
//! PostgreSQL: `source .ci/env && cargo bench -p server --bench reports`
//! SQLite:     `source .ci/env && EINBLICK_BENCH_BACKEND=sqlite cargo bench -p server --bench reports`
//! Optional: EINBLICK_BENCH_EVENTS (total events), EINBLICK_BENCH_KEEP_DATABASE (load into and keep
//! this database, shared with the timeline bench), EINBLICK_BENCH_FILL (`generated`: the other
//! customers' events written by SQL month by month, PostgreSQL only, how 100 M events load here;
//! see bench_events/generated.rs), EINBLICK_TEST_POSTGRES_URL (admin database).

// A benchmark that cannot set up its data has nothing to measure: it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bench_events;
mod common;

use std::time::Instant;

use diesel::connection::SimpleConnection;
use einblick::db::access_event;
use einblick::seed::demo;

const CUSTOMER_EVENTS: usize = 10_000;
const CUSTOMER_REF: &str = "C-100042";
const REPORT_RUNS: usize = 10;
/// More than ten: PostgreSQL may switch a prepared statement to a generic plan after its fifth
/// run, and the issue asks for the figure after the tenth.
const STATISTICS_RUNS: usize = 12;

fn main() {
    let (backend, total_events) = bench_events::backend_and_size();

    let (db, _cleanup) = bench_events::events_database(&backend, "reports");
    let location = db.location().clone();
    demo::seed(&db, &bench_events::server_keys()).expect("demo data");
    let started = Instant::now();
    bench_events::fill(&db, total_events, CUSTOMER_REF, CUSTOMER_EVENTS);
    let loaded = access_event::count(&mut db.get().unwrap()).unwrap();
    println!(
        "loaded {loaded} events ({} for {CUSTOMER_REF}) into {backend} in {:.1}s",
        bench_events::customer_event_count(&db, CUSTOMER_REF),
        started.elapsed().as_secs_f64()
    );
    let _ = db.get().unwrap().batch_execute(if backend == "sqlite" {
        "ANALYZE"
    } else {
        "ANALYZE access_events"
    });

    let server = bench_events::start_server(db, location);
    let base = format!("http://{}", server.addr);
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let customer = sign_in(
        &agent,
        &base,
        "/login",
        "anna@example.com",
        "einblick_session",
    );
    let lead = sign_in(
        &agent,
        &base,
        "/staff/login",
        "lead@einblick.example",
        "einblick_staff_session",
    );
    // The whole demo period: every one of the customer's 10,000 events is in the report.
    let from = demo::period_start().date();
    let period = format!("from={from}&to=2099-12-31");

    println!(
        "\n{:<52} {:>10} {:>10} {:>10}",
        "request", "median ms", "max ms", "bytes"
    );
    for format in ["html", "pdf", "json", "csv"] {
        let url = format!("{base}/reports/access?{period}&format={format}");
        let (times, bytes) = measure(&agent, &url, &customer, REPORT_RUNS);
        let label = format!("customer report, {CUSTOMER_EVENTS} events, {format}");
        print_row(&label, &times, bytes);
    }
    for format in ["json", "csv", "pdf"] {
        let url = format!("{base}/staff/statistics/export?{period}&format={format}");
        let (times, bytes) = measure(&agent, &url, &lead, STATISTICS_RUNS);
        let label = format!("aggregate statistics, {loaded} events, {format}");
        print_row(&label, &times, bytes);
    }
    let url = format!("{base}/staff/statistics?{period}");
    let (times, bytes) = measure(&agent, &url, &lead, STATISTICS_RUNS);
    print_row(
        &format!("aggregate statistics page, {loaded} events"),
        &times,
        bytes,
    );
    let in_order: Vec<String> = times.iter().map(|ms| format!("{ms:.0}")).collect();
    println!(
        "statistics page, each run in order (ms): {}",
        in_order.join(" ")
    );
}

fn sign_in(agent: &ureq::Agent, base: &str, path: &str, email: &str, cookie: &str) -> String {
    let response = agent
        .post(&format!("{base}{path}"))
        .set("Origin", base)
        .send_form(&[("email", email), ("password", demo::DEMO_PASSWORD)])
        .expect("sign in");
    let set_cookie = response
        .all("set-cookie")
        .into_iter()
        .find(|c| c.starts_with(&format!("{cookie}=")))
        .expect("session cookie");
    set_cookie.split(';').next().unwrap().to_owned()
}

/// Milliseconds of each run in order (the whole body read) and the body size.
fn measure(agent: &ureq::Agent, url: &str, cookie: &str, runs: usize) -> (Vec<f64>, usize) {
    let mut times = Vec::with_capacity(runs);
    let mut bytes = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let response = agent
            .get(url)
            .set("Cookie", cookie)
            .call()
            .expect("request");
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut response.into_reader(), &mut body).unwrap();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        bytes = body.len();
    }
    (times, bytes)
}

fn print_row(label: &str, times: &[f64], bytes: usize) {
    let mut times = times.to_vec();
    times.sort_by(f64::total_cmp);
    println!(
        "{label:<52} {:>10.1} {:>10.1} {:>10}",
        times[times.len() / 2],
        times[times.len() - 1],
        bytes
    );
}
