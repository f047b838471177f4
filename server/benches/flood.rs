//! Flood benchmark: how `/healthz` and a customer's timeline page answer while 50 anonymous
//! clients post to every form route as fast as they can (sign-ins with wrong passwords, the
//! staff forms, the customer forms, the feed). Prints median, p99 and slowest of sequential
//! requests, first without and then under the flood, on the demo data.
//!
//! PostgreSQL: `source .ci/env && cargo bench -p server --bench flood`
//! SQLite:     `source .ci/env && EINBLICK_BENCH_BACKEND=sqlite cargo bench -p server --bench flood`
//! Optional: EINBLICK_BENCH_FLOOD_CLIENTS (default 50), EINBLICK_BENCH_REQUESTS (default 400).

// A benchmark that cannot set up its data has nothing to measure: it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// Shared with the data-heavy benchmarks; this one only starts the server from it.
#[allow(dead_code)]
mod bench_events;
mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use einblick::seed::demo;

fn main() {
    let backend = std::env::var("EINBLICK_BENCH_BACKEND").unwrap_or_else(|_| "postgres".into());
    let clients: usize = env_number("EINBLICK_BENCH_FLOOD_CLIENTS", 50);
    let requests: usize = env_number("EINBLICK_BENCH_REQUESTS", 400);

    let (db, _cleanup) = common::scratch_database(&backend, "flood");
    let location = db.location().clone();
    demo::seed(&db, &bench_events::server_keys()).expect("demo data");
    let server = bench_events::start_server(db, location);
    let base = format!("http://{}", server.addr);
    let cookie = sign_in(&base);

    // Every form route, with the fields a form post would carry.
    let forms: Vec<String> = einblick::http::route_table()
        .entries()
        .iter()
        .filter(|route| route.method == actix_web::http::Method::POST)
        .map(|route| {
            route
                .path
                .split('/')
                .map(|s| if s.starts_with('{') { "1" } else { s })
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect();
    println!(
        "{backend}: {} form routes flooded by {clients} anonymous clients; {requests} sequential \
         requests per measurement",
        forms.len()
    );

    let measure = |label: &str| {
        println!(
            "\n{label}\n{:<34} {:>10} {:>10} {:>10}",
            "request", "median ms", "p99 ms", "max ms"
        );
        for (name, path, with_cookie) in [
            ("/healthz", "/healthz", false),
            ("timeline page (Anna, newest 50)", "/timeline", true),
        ] {
            let latencies = sequential(
                &format!("{base}{path}"),
                with_cookie.then_some(&cookie),
                requests,
            );
            println!(
                "{name:<34} {:>10.2} {:>10.2} {:>10.2}",
                percentile(&latencies, 0.50),
                percentile(&latencies, 0.99),
                latencies.last().copied().unwrap_or_default()
            );
        }
    };

    measure("without the flood");

    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let flooders: Vec<_> = (0..clients)
        .map(|i| {
            let (stop, sent, forms, base) =
                (stop.clone(), sent.clone(), forms.clone(), base.clone());
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new()
                    .redirects(0)
                    .timeout(Duration::from_secs(60))
                    .build();
                let email = format!("flood{i}@example.com");
                let fields = [
                    ("email", email.as_str()),
                    ("password", "a guessed password"),
                    ("name", "Flood"),
                    ("role", "admin"),
                    ("message", "flood"),
                    ("statement", "flood"),
                    ("event", "1"),
                ];
                while !stop.load(Ordering::Relaxed) {
                    for form in &forms {
                        let _ = agent
                            .post(&format!("{base}{form}"))
                            .set("Origin", &base)
                            .send_form(&fields);
                        sent.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(2));
    let started = Instant::now();
    let sent_before = sent.load(Ordering::Relaxed);
    measure(&format!("under the flood of {clients} anonymous clients"));
    let flood_rate =
        (sent.load(Ordering::Relaxed) - sent_before) as f64 / started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for flooder in flooders {
        let _ = flooder.join();
    }
    println!("\nflood: {flood_rate:.0} anonymous posts/s answered during the measurement");
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn sign_in(base: &str) -> String {
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let response = agent
        .post(&format!("{base}/login"))
        .send_form(&[
            ("email", "anna@example.com"),
            ("password", demo::DEMO_PASSWORD),
        ])
        .expect("sign in");
    response
        .all("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("einblick_session="))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_owned()
}

fn sequential(url: &str, cookie: Option<&String>, requests: usize) -> Vec<f64> {
    let agent = ureq::AgentBuilder::new()
        .redirects(0)
        .timeout(Duration::from_secs(60))
        .build();
    let fetch = || {
        let mut request = agent.get(url).set("Accept", "text/html");
        if let Some(cookie) = cookie {
            request = request.set("Cookie", cookie);
        }
        let response = request.call().expect("request");
        assert_eq!(response.status(), 200, "{url}");
        let _ = response.into_string();
    };
    for _ in 0..20 {
        fetch();
    }
    let mut latencies: Vec<f64> = (0..requests)
        .map(|_| {
            let started = Instant::now();
            fetch();
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    latencies
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}
