//! Timeline benchmark: loads many events (1 M on PostgreSQL, 100 k on SQLite; the figure
//! is for 10 M: `EINBLICK_BENCH_EVENTS=10000000`), 10,000 of them for one customer, boots the real
//! server and measures the timeline page and the JSON endpoint for that customer with 8 and 32
//! concurrent clients (requests/s, p50, p99), beside the keyset query alone on the same database
//! in the same run (on as many connections as clients), and the keyset query with each access's
//! judgement joined, the statement the page and the JSON API read their entries with. Every line
//! also says how much of the machine's CPU a request took and how many cores were busy (all
//! processes, from /proc/stat: run it on an otherwise idle machine), and the page's cost is set
//! beside what it cannot do without, measured apart: its reads (the session, then the entries)
//! on a held connection, a bare HTTP round trip, gzip and gunzip of the page. Before the server
//! starts, it times the judge's hourly learning of the volume rule's baselines (from
//! `employee_hours`) beside the same learned from the accesses themselves (`einblick detect`'s).
//! Every figure comes after a warm-up of more than five runs, so PostgreSQL's prepared
//! statements have made their generic-or-custom plan choice before anything is timed.
//!
//! PostgreSQL: `source .ci/env && cargo bench -p server --bench timeline`
//! SQLite:     `source .ci/env && EINBLICK_BENCH_BACKEND=sqlite cargo bench -p server --bench timeline`
//! Optional: EINBLICK_BENCH_EVENTS (total events), EINBLICK_BENCH_REQUESTS (per measurement,
//! default 2,000), EINBLICK_BENCH_KEEP_DATABASE (load into and keep this database, shared with
//! the reports bench), EINBLICK_BENCH_FILL (`generated`: the other customers' events written by
//! SQL month by month, PostgreSQL only, how 100 M events load here; see bench_events/generated.rs),
//! EINBLICK_BENCH_ACCEPT_ENCODING (what the clients send as `Accept-Encoding`; default `gzip`, as
//! every browser takes it; `gzip, deflate, br, zstd`, as Chrome sends it, measures the zstd pages;
//! `identity` measures the pages uncompressed),
//! EINBLICK_TEST_POSTGRES_URL (admin database).

// A benchmark that cannot set up its data has nothing to measure: it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bench_events;
mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use einblick::auth::session::{self, SessionLimits};
use einblick::config::Settings;
use einblick::db::{access_event, Database};
use einblick::domain::{CustomerRef, TimelineFilter};
use einblick::seed::demo;

const CUSTOMER_EVENTS: usize = 10_000;
const CUSTOMER_REF: &str = "C-100042";
const CUSTOMER_EMAIL: &str = "anna@example.com";
const CLIENTS: [usize; 2] = [8, 32];
const WARM_UP_PER_CLIENT: usize = 10;

fn main() {
    let (backend, total_events) = bench_events::backend_and_size();

    let (db, _cleanup) = bench_events::events_database(&backend, "timeline");
    let location = db.location().clone();
    demo::seed(&db, &bench_events::server_keys()).expect("demo data");

    let started = Instant::now();
    bench_events::fill(&db, total_events, CUSTOMER_REF, CUSTOMER_EVENTS);
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

    bench_events::learn_baselines_both_ways(&db);

    let server = bench_events::start_server(db, location.clone());
    let base = format!("http://{}", server.addr);
    let cookie = sign_in(&base);
    let session_token = cookie.strip_prefix("einblick_session=").unwrap().to_owned();
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    // The first page and a page deep in the history (the keyset query must not slow down).
    let deep_cursor = cursor_after(&agent, &base, &cookie, 5000);

    let requests: usize = std::env::var("EINBLICK_BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let accept_encoding =
        std::env::var("EINBLICK_BENCH_ACCEPT_ENCODING").unwrap_or_else(|_| "gzip".to_owned());
    let raw_db = Database::connect(location.clone(), 32).expect("raw connections");
    let page_reads = Read::SessionAndPage {
        token: session_token,
        limits: SessionLimits::of(
            &Settings::from_sources(&BTreeMap::new(), &BTreeMap::new()).unwrap(),
        ),
    };
    let fixed_answer = format!("{base}/api/v1/schemas/access-event-data.json");
    let (plain_page, gzipped_page) = timeline_page(&agent, &format!("{base}/timeline"), &cookie);
    println!("pages requested with Accept-Encoding: {accept_encoding}");
    println!(
        "CPU ms: the whole machine's busy time (server, clients, PostgreSQL) per request; \
         cores: how many were busy on average (from /proc/stat)"
    );
    println!(
        "\n{:<46} {:>7} {:>9} {:>9} {:>9} {:>7} {:>5}",
        "request", "clients", "req/s", "p50 ms", "p99 ms", "CPU ms", "cores"
    );
    for clients in CLIENTS {
        let mut cpu = CpuShares::default();
        for (label, filter) in [
            ("keyset query alone, newest 50", TimelineFilter::default()),
            (
                "keyset query alone, filtered by reason",
                TimelineFilter {
                    reason: Some("customer_request".into()),
                    ..TimelineFilter::default()
                },
            ),
        ] {
            let measured = raw_queries(&raw_db, filter, clients, requests, Read::Keyset);
            measured.print(label, clients);
            if cpu.keyset.is_none() {
                cpu.keyset = measured.cost();
            }
        }
        let measured = raw_queries(
            &raw_db,
            TimelineFilter::default(),
            clients,
            requests,
            Read::WithJudgements,
        );
        measured.print("keyset query with judgements (the page's)", clients);
        let measured = raw_queries(
            &raw_db,
            TimelineFilter::default(),
            clients,
            requests,
            page_reads.clone(),
        );
        measured.print("session, then the above (the page's reads)", clients);
        cpu.page_reads = measured.cpu_ms;
        let measured = pages(&fixed_answer, &cookie, "identity", clients, requests);
        measured.print("a 2 KB fixed answer (an HTTP round trip)", clients);
        cpu.round_trip = measured.cpu_ms;
        let measured = packing(&plain_page, clients, requests);
        measured.print("gzipping the page (the server's)", clients);
        cpu.packing = measured.cpu_ms;
        let measured = unpacking(&gzipped_page, clients, requests);
        measured.print("unpacking the gzipped page (a client's)", clients);
        cpu.unpacking = measured.cpu_ms;
        for (label, path) in [
            ("timeline page (HTML), newest", "/timeline".to_owned()),
            (
                "timeline page (HTML), filtered by reason",
                "/timeline?reason=customer_request".to_owned(),
            ),
            (
                "timeline page (HTML), 5,000 entries deep",
                format!("/timeline?cursor={deep_cursor}"),
            ),
            ("JSON API, newest 50", "/api/v1/me/access-events".to_owned()),
        ] {
            let url = format!("{base}{path}");
            let measured = pages(&url, &cookie, &accept_encoding, clients, requests);
            measured.print(label, clients);
            if cpu.page.is_none() {
                cpu.page = measured.cost();
            }
        }
        // The parts add up to a gzipped page only.
        if accept_encoding == "gzip" {
            cpu.print(clients);
        }
    }
}

/// CPU time per request of the page and of what it cannot do without, at one number of
/// clients: where the page's cost goes, beside the keyset query's.
#[derive(Default)]
struct CpuShares {
    /// The keyset query alone, newest 50.
    keyset: Option<Cost>,
    page_reads: Option<f64>,
    round_trip: Option<f64>,
    packing: Option<f64>,
    unpacking: Option<f64>,
    /// The timeline page, newest.
    page: Option<Cost>,
}

impl CpuShares {
    fn print(&self, clients: usize) {
        let (
            Some(keyset),
            Some(page),
            Some(reads),
            Some(round_trip),
            Some(packing),
            Some(unpacking),
        ) = (
            &self.keyset,
            &self.page,
            self.page_reads,
            self.round_trip,
            self.packing,
            self.unpacking,
        )
        else {
            return;
        };
        // At a third of the keyset query's rate on the cores the page keeps busy.
        let budget = page.busy_cores * 1000.0 / (keyset.per_second / 3.0);
        let parts = reads + round_trip + packing + unpacking;
        println!(
            "  {clients} clients, CPU per request: keyset query {:.3} ms, page {:.3} ms. A \
             third of the keyset query's rate, on the {:.2} cores the page keeps busy, leaves a \
             page {budget:.3} ms. Its reads ({reads:.3}), a bare round trip ({round_trip:.3}), \
             gzip ({packing:.3}) and gunzip ({unpacking:.3}) take {parts:.3} ms of it, leaving \
             {:.3} ms for rendering and the server's plumbing, which take {:.3} ms.\n",
            keyset.cpu_ms,
            page.cpu_ms,
            page.busy_cores,
            budget - parts,
            page.cpu_ms - parts,
        );
    }
}

/// What one measurement cost the machine.
struct Cost {
    per_second: f64,
    cpu_ms: f64,
    busy_cores: f64,
}

struct Measured {
    per_second: f64,
    latencies_ms: Vec<f64>,
    /// The machine's busy CPU time per request (`busy_cpu_seconds`).
    cpu_ms: Option<f64>,
    /// How many cores were busy on average.
    busy_cores: Option<f64>,
}

impl Measured {
    fn print(&self, label: &str, clients: usize) {
        let or_dash = |value: Option<f64>, decimals: usize| {
            value.map_or_else(|| "-".to_owned(), |v| format!("{v:.decimals$}"))
        };
        println!(
            "{label:<46} {clients:>7} {:>9.0} {:>9.2} {:>9.2} {:>7} {:>5}",
            self.per_second,
            percentile(&self.latencies_ms, 0.50),
            percentile(&self.latencies_ms, 0.99),
            or_dash(self.cpu_ms, 3),
            or_dash(self.busy_cores, 2),
        );
    }

    fn cost(&self) -> Option<Cost> {
        Some(Cost {
            per_second: self.per_second,
            cpu_ms: self.cpu_ms?,
            busy_cores: self.busy_cores?,
        })
    }
}

/// The busy time of all the machine's cores so far, in seconds (every process: the server, the
/// clients and PostgreSQL alike), from `/proc/stat`; `None` without one.
fn busy_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let ticks: Vec<u64> = stat
        .lines()
        .next()?
        .strip_prefix("cpu ")?
        .split_whitespace()
        .take(7)
        .map(|t| t.parse().ok())
        .collect::<Option<_>>()?;
    if ticks.len() < 7 {
        return None;
    }
    // user nice system idle iowait irq softirq steal, in USER_HZ (100 a second on Linux); idle,
    // waiting and what the hypervisor took for others are not this machine's work.
    let busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6];
    Some(busy as f64 / 100.0)
}

/// `clients` threads share `requests` runs of `work`, each after its own warm-up; every run's
/// latency is kept.
fn concurrently<S: Send + 'static>(
    clients: usize,
    requests: usize,
    setup: impl Fn() -> S + Send + Sync + 'static,
    work: impl Fn(&mut S) + Send + Sync + 'static,
) -> Measured {
    let (setup, work) = (Arc::new(setup), Arc::new(work));
    // Warmed up, then go: the clock and the CPU count start while every client waits, so a
    // client scheduled before this thread cannot run uncounted (32 clients on two cores).
    let warmed_up = Arc::new(std::sync::Barrier::new(clients + 1));
    let go = Arc::new(std::sync::Barrier::new(clients + 1));
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            let (setup, work) = (setup.clone(), work.clone());
            let (warmed_up, go) = (warmed_up.clone(), go.clone());
            std::thread::spawn(move || {
                let mut state = setup();
                for _ in 0..WARM_UP_PER_CLIENT {
                    work(&mut state);
                }
                warmed_up.wait();
                go.wait();
                (0..requests / clients)
                    .map(|_| {
                        let started = Instant::now();
                        work(&mut state);
                        started.elapsed().as_secs_f64() * 1000.0
                    })
                    .collect::<Vec<f64>>()
            })
        })
        .collect();
    warmed_up.wait();
    let busy_before = busy_cpu_seconds();
    let started = Instant::now();
    go.wait();
    let mut latencies_ms: Vec<f64> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let elapsed = started.elapsed().as_secs_f64();
    let busy = busy_cpu_seconds()
        .zip(busy_before)
        .map(|(after, before)| after - before);
    latencies_ms.sort_by(f64::total_cmp);
    Measured {
        per_second: latencies_ms.len() as f64 / elapsed,
        cpu_ms: busy.map(|seconds| seconds * 1000.0 / latencies_ms.len() as f64),
        busy_cores: busy.map(|seconds| seconds / elapsed),
        latencies_ms,
    }
}

/// Which of the timeline's reads a raw measurement runs.
#[derive(Clone)]
enum Read {
    /// The keyset query alone (`timeline_page`).
    Keyset,
    /// The keyset query with each access's judgement joined, as the page and the JSON API read
    /// (`explained_timeline_page`).
    WithJudgements,
    /// The session with this token found, as the page does first, then `WithJudgements`: what
    /// the page reads on every request (the labels and the log's witnesses come from caches).
    SessionAndPage {
        token: String,
        limits: SessionLimits,
    },
}

fn raw_queries(
    db: &Database,
    filter: TimelineFilter,
    clients: usize,
    requests: usize,
    read: Read,
) -> Measured {
    let db = db.clone();
    let customer = CustomerRef::parse(CUSTOMER_REF).unwrap();
    let filter = TimelineFilter {
        limit: 50,
        ..filter
    };
    concurrently(
        clients,
        requests,
        move || db.get().expect("connection"),
        move |conn| {
            let now = chrono::Utc::now().naive_utc();
            let rows = match &read {
                Read::Keyset => access_event::timeline_page(conn, &customer, &filter, now)
                    .unwrap()
                    .len(),
                Read::WithJudgements => {
                    access_event::explained_timeline_page(conn, &customer, &filter, now)
                        .unwrap()
                        .len()
                }
                Read::SessionAndPage { token, limits } => {
                    let (signed_in, _) = session::customer_for_token(conn, token, limits, now)
                        .unwrap()
                        .expect("the session is open");
                    assert_eq!(signed_in.customer_ref, CUSTOMER_REF);
                    access_event::explained_timeline_page(conn, &customer, &filter, now)
                        .unwrap()
                        .len()
                }
            };
            assert!(rows > 0);
        },
    )
}

fn pages(
    url: &str,
    cookie: &str,
    accept_encoding: &str,
    clients: usize,
    requests: usize,
) -> Measured {
    let (url, cookie, accept_encoding) = (
        url.to_owned(),
        cookie.to_owned(),
        accept_encoding.to_owned(),
    );
    concurrently(
        clients,
        requests,
        || {
            ureq::AgentBuilder::new()
                .redirects(0)
                .timeout(Duration::from_secs(30))
                .build()
        },
        move |agent| fetch(agent, &url, &cookie, &accept_encoding),
    )
}

/// `compressed` unpacked as the clients unpack a gzipped page, by `clients` threads.
fn unpacking(compressed: &[u8], clients: usize, requests: usize) -> Measured {
    let compressed: Arc<[u8]> = compressed.into();
    concurrently(
        clients,
        requests,
        || Vec::with_capacity(128 * 1024),
        move |unpacked: &mut Vec<u8>| {
            unpacked.clear();
            let mut decoder = flate2::read::GzDecoder::new(&compressed[..]);
            std::io::Read::read_to_end(&mut decoder, unpacked).unwrap();
            assert!(!unpacked.is_empty());
        },
    )
}

/// `page` gzipped by `clients` threads, each with its own compressor reused, as the server
/// reuses its own.
fn packing(page: &[u8], clients: usize, requests: usize) -> Measured {
    let page: Arc<[u8]> = page.into();
    let capacity = page.len();
    concurrently(
        clients,
        requests,
        move || (page_compressor(), Vec::with_capacity(capacity)),
        move |(deflate, packed): &mut (flate2::Compress, Vec<u8>)| {
            gzip(deflate, &page, packed);
            assert!(!packed.is_empty());
        },
    )
}

/// A compressor as the server's for pages: zlib-rs at the fastest level, raw deflate.
fn page_compressor() -> flate2::Compress {
    flate2::Compress::new(flate2::Compression::fast(), false)
}

/// `page` gzipped in one piece into `packed` as the server gzips a page (its header, the raw
/// deflate stream, the CRC and length).
fn gzip(deflate: &mut flate2::Compress, page: &[u8], packed: &mut Vec<u8>) {
    deflate.reset();
    packed.clear();
    packed.extend_from_slice(&einblick::http::compression::GZIP_HEADER);
    // `compress_vec` writes into spare room only; deflate's worst case is a little over the input.
    packed.reserve(page.len() + 1024);
    let status = deflate
        .compress_vec(page, packed, flate2::FlushCompress::Finish)
        .unwrap();
    assert_eq!(status, flate2::Status::StreamEnd);
    let mut crc = flate2::Crc::new();
    crc.update(page);
    packed.extend_from_slice(&crc.sum().to_le_bytes());
    packed.extend_from_slice(&crc.amount().to_le_bytes());
}

/// The timeline page, plain and gzipped as the server gzips it. ureq unpacks whatever comes
/// gzipped, so the page is fetched plain and packed here.
fn timeline_page(agent: &ureq::Agent, url: &str, cookie: &str) -> (Vec<u8>, Vec<u8>) {
    let response = agent
        .get(url)
        .set("Cookie", cookie)
        .set("Accept-Encoding", "identity")
        .call()
        .unwrap();
    assert_eq!(response.status(), 200, "the signed-in customer's page");
    let page = response.into_string().unwrap().into_bytes();
    let mut gzipped = Vec::new();
    gzip(&mut page_compressor(), &page, &mut gzipped);
    println!(
        "the timeline page: {} bytes, {} gzipped",
        page.len(),
        gzipped.len()
    );
    (page, gzipped)
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

/// Reads the body as bytes: checking its text is the browser's work, not the server's, and the
/// clients share the server's cores.
fn fetch(agent: &ureq::Agent, url: &str, cookie: &str, accept_encoding: &str) {
    let response = agent
        .get(url)
        .set("Cookie", cookie)
        .set("Accept", "text/html")
        .set("Accept-Encoding", accept_encoding)
        .call()
        .expect("request");
    assert_eq!(response.status(), 200);
    // ureq unpacks gzip itself; zstd, as a browser would.
    let zstd = response.header("content-encoding") == Some("zstd");
    let mut body = Vec::with_capacity(128 * 1024);
    std::io::Read::read_to_end(&mut response.into_reader(), &mut body).unwrap();
    if zstd {
        body = zstd::stream::decode_all(body.as_slice()).unwrap();
    }
    assert!(!body.is_empty());
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}
