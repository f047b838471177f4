//! Timeline benchmark: loads many events (1 M on PostgreSQL, 100 k on SQLite), 10,000 of them for
//! one customer, boots the real server and measures the timeline page and the JSON endpoint for
//! that customer: median and p99 latency (sequential requests) and requests/s (4 clients).
//!
//! PostgreSQL: `source .ci/env && cargo bench -p server --bench timeline`
//! SQLite:     `source .ci/env && EINBLICK_BENCH_BACKEND=sqlite cargo bench -p server --bench timeline`
//! Optional: EINBLICK_BENCH_EVENTS (total events), EINBLICK_TEST_POSTGRES_URL (admin database).

// A benchmark that cannot set up its data has nothing to measure: it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bench_events;
mod common;

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use einblick::db::access_event;
use einblick::seed::demo;

const CUSTOMER_EVENTS: usize = 10_000;
const CUSTOMER_REF: &str = "C-100042";
const CUSTOMER_EMAIL: &str = "anna@example.com";
const SEQUENTIAL_REQUESTS: usize = 300;
const CONCURRENT_CLIENTS: usize = 4;
const CONCURRENT_REQUESTS: usize = 800;

fn main() {
    let (backend, total_events) = bench_events::backend_and_size();

    let (db, _cleanup) = common::scratch_database(&backend, "timeline");
    let location = db.location().clone();
    demo::seed(&db, &bench_events::server_keys()).expect("demo data");

    let started = Instant::now();
    let already = db
        .get()
        .map(|mut c| access_event::count(&mut c).unwrap())
        .unwrap() as usize;
    bench_events::load_events(
        &db,
        total_events.saturating_sub(already),
        CUSTOMER_REF,
        CUSTOMER_EVENTS,
    );
    let loaded = db
        .get()
        .map(|mut c| access_event::count(&mut c).unwrap())
        .unwrap();
    let customer_count = bench_events::customer_event_count(&db, CUSTOMER_REF);
    println!(
        "loaded {loaded} events ({customer_count} for {CUSTOMER_REF}) into {backend} in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    if let Ok(mut conn) = db.get() {
        let _ = conn.batch_execute(if backend == "sqlite" {
            "ANALYZE"
        } else {
            "ANALYZE access_events"
        });
    }

    let server = bench_events::start_server(db, location);
    let base = format!("http://{}", server.addr);
    let cookie = sign_in(&base);
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    // The first page and a page deep in the history (the keyset query must not slow down).
    let deep_cursor = cursor_after(&agent, &base, &cookie, 5000);

    println!(
        "\n{:<44} {:>10} {:>10} {:>10}",
        "request", "median ms", "p99 ms", "req/s"
    );
    for (label, path) in [
        ("timeline page (HTML), newest", "/timeline".to_owned()),
        (
            "timeline page (HTML), 5,000 entries deep",
            format!("/timeline?cursor={deep_cursor}"),
        ),
        (
            "timeline page (HTML), filtered by reason",
            "/timeline?reason=customer_request".to_owned(),
        ),
        ("JSON API, newest 50", "/api/v1/me/access-events".to_owned()),
        (
            "JSON API, 5,000 entries deep",
            format!("/api/v1/me/access-events?cursor={deep_cursor}"),
        ),
        (
            "JSON API, 200 per page",
            "/api/v1/me/access-events?limit=200".to_owned(),
        ),
    ] {
        let url = format!("{base}{path}");
        let latencies = sequential(&agent, &url, &cookie);
        let rate = throughput(&url, &cookie);
        println!(
            "{label:<44} {:>10.2} {:>10.2} {:>10.0}",
            percentile(&latencies, 0.50),
            percentile(&latencies, 0.99),
            rate
        );
    }
}

fn sign_in(base: &str) -> String {
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let response = agent
        .post(&format!("{base}/login"))
        .send_form(&[("email", CUSTOMER_EMAIL), ("password", demo::DEMO_PASSWORD)])
        .expect("sign in");
    let set_cookie = response
        .all("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("einblick_session="))
        .unwrap();
    set_cookie.split(';').next().unwrap().to_owned()
}

fn cursor_after(agent: &ureq::Agent, base: &str, cookie: &str, entries: usize) -> String {
    let mut cursor = String::new();
    for _ in 0..entries / 200 {
        let url = format!("{base}/api/v1/me/access-events?limit=200&cursor={cursor}");
        let page: serde_json::Value = agent
            .get(&url)
            .set("Cookie", cookie)
            .call()
            .unwrap()
            .into_json()
            .unwrap();
        cursor = page["next_cursor"].as_str().unwrap().to_owned();
    }
    cursor
}

fn fetch(agent: &ureq::Agent, url: &str, cookie: &str) {
    let response = agent
        .get(url)
        .set("Cookie", cookie)
        .set("Accept", "text/html")
        .call()
        .expect("request");
    assert_eq!(response.status(), 200);
    let _ = response.into_string().unwrap();
}

fn sequential(agent: &ureq::Agent, url: &str, cookie: &str) -> Vec<f64> {
    for _ in 0..20 {
        fetch(agent, url, cookie);
    }
    let mut latencies: Vec<f64> = (0..SEQUENTIAL_REQUESTS)
        .map(|_| {
            let started = Instant::now();
            fetch(agent, url, cookie);
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    latencies
}

fn throughput(url: &str, cookie: &str) -> f64 {
    let started = Instant::now();
    let handles: Vec<_> = (0..CONCURRENT_CLIENTS)
        .map(|_| {
            let (url, cookie) = (url.to_owned(), cookie.to_owned());
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new()
                    .redirects(0)
                    .timeout(Duration::from_secs(30))
                    .build();
                for _ in 0..CONCURRENT_REQUESTS / CONCURRENT_CLIENTS {
                    fetch(&agent, &url, &cookie);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    CONCURRENT_REQUESTS as f64 / started.elapsed().as_secs_f64()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}
