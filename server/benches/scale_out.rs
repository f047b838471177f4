//! Ingest with one and with two `einblick serve` processes on one PostgreSQL database: events/s
//! of the NATS JetStream consumer (the processes share the durable consumer) and of HTTP batches
//! (the clients spread over the processes), and the speed-up from the second process.
//!
//! `source .ci/env && cargo bench -p server --bench scale_out`
//! Optional: EINBLICK_BENCH_EVENTS (default 100000), EINBLICK_BENCH_ROUNDS (default 3),
//! EINBLICK_TEST_POSTGRES_URL.
//!
//! The processes are the real binary, started as a deployment starts them (environment only),
//! each on a fresh database whose log keys `einblick checkpoint` recorded first. Each run
//! is timed from the first stored event to the last. Besides events/s it prints how much of the
//! machine's CPU the run used (the server processes, PostgreSQL, the NATS server and this
//! process's clients): at 100 % a second process has no core to run on.

// A benchmark that cannot set up its data has nothing to measure: it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod feed_events;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use feed_events::{delete_stream, event_json, process_ticks, publish, NATS_URL, TICKS_PER_SECOND};

const BATCH: usize = 1000;
/// HTTP clients in every run, spread over the processes: one process gets as many concurrent
/// batches as two together.
const HTTP_CLIENTS: usize = 4;

fn main() {
    let events: usize = std::env::var("EINBLICK_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let rounds: usize = std::env::var("EINBLICK_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("{events} events, PostgreSQL, {rounds} rounds, {cores} cores");
    let lines: Vec<String> = (0..events).map(event_json).collect();

    let mut runs: Vec<(Channel, usize, Run)> = Vec::new();
    println!(
        "\n{:<7} {:<6} {:>10} {:>12} {:>10}",
        "round", "path", "processes", "events/s", "CPU busy"
    );
    for round in 0..rounds {
        // Alternate which count goes first, so a machine getting busier or quieter over a
        // round favours neither.
        let order = if round % 2 == 0 { [1, 2] } else { [2, 1] };
        for path in [Channel::Nats, Channel::Http] {
            for processes in order {
                let run = match path {
                    Channel::Nats => nats_run(&lines, processes),
                    Channel::Http => http_run(&lines, processes),
                };
                println!(
                    "{:<7} {:<6} {processes:>10} {:>12.0} {:>9.0}%",
                    round + 1,
                    path.label(),
                    run.rate,
                    run.cpu_busy(cores) * 100.0
                );
                runs.push((path, processes, run));
            }
        }
    }

    println!(
        "\n{:<50} {:>12} {:>16} {:>10}",
        "median of the rounds", "events/s", "range", "CPU busy"
    );
    for path in [Channel::Nats, Channel::Http] {
        let mut medians = [0.0; 2];
        for processes in [1, 2] {
            let of: Vec<&Run> = runs
                .iter()
                .filter(|(p, n, _)| *p == path && *n == processes)
                .map(|(_, _, run)| run)
                .collect();
            let mut rates: Vec<f64> = of.iter().map(|run| run.rate).collect();
            rates.sort_by(f64::total_cmp);
            let mut busy: Vec<f64> = of.iter().map(|run| run.cpu_busy(cores)).collect();
            busy.sort_by(f64::total_cmp);
            medians[processes - 1] = rates[rates.len() / 2];
            println!(
                "{:<50} {:>12.0} {:>16} {:>9.0}%",
                format!("{}, {processes} process(es)", path.description()),
                medians[processes - 1],
                format!("{:.0}–{:.0}", rates[0], rates[rates.len() - 1]),
                busy[busy.len() / 2] * 100.0
            );
        }
        println!(
            "{:<50} {:>12.2}",
            format!("{}: 2 processes / 1", path.label()),
            medians[1] / medians[0]
        );
    }
}

/// How the events reach the processes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Channel {
    Nats,
    Http,
}

impl Channel {
    fn label(self) -> &'static str {
        match self {
            Channel::Nats => "NATS",
            Channel::Http => "HTTP",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Channel::Nats => "NATS JetStream, shared consumer",
            Channel::Http => "HTTP batches of 1,000, 4 clients",
        }
    }
}

struct Run {
    rate: f64,
    seconds: f64,
    /// CPU seconds the server processes, PostgreSQL, the NATS server and this process spent.
    cpu_seconds: f64,
}

impl Run {
    /// The share of the machine's CPU time the run used.
    fn cpu_busy(&self, cores: usize) -> f64 {
        self.cpu_seconds / (self.seconds * cores as f64)
    }
}

/// A fresh database with the log's keys recorded, and `processes` servers started on it.
struct Deployment {
    db: einblick::db::Database,
    url: String,
    keys: PathBuf,
    servers: Vec<Child>,
    ports: Vec<u16>,
    _guard: common::ScratchGuard,
}

impl Deployment {
    fn new(label: &str) -> Deployment {
        let (db, guard) = common::scratch_database("postgres", label);
        let url = match db.location() {
            einblick::db::DatabaseLocation::Postgres(url) => url.clone(),
            einblick::db::DatabaseLocation::Sqlite(_) => unreachable!("PostgreSQL only"),
        };
        let keys = common::log_key_dir().join(label);
        let _ = std::fs::remove_dir_all(&keys);
        // As a deployment's init step does: the servers must not race to create two keys.
        let output = einblick_command(&url, &keys)
            .arg("checkpoint")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        Deployment {
            db,
            url,
            keys,
            servers: Vec::new(),
            ports: Vec::new(),
            _guard: guard,
        }
    }

    fn start(&mut self, processes: usize, configure: impl Fn(&mut Command)) {
        for _ in 0..processes {
            let port = free_port();
            let mut command = einblick_command(&self.url, &self.keys);
            command
                .arg("serve")
                .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            configure(&mut command);
            self.servers.push(command.spawn().expect("start einblick"));
            self.ports.push(port);
        }
    }

    fn wait_until_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        for port in &self.ports {
            while ureq::get(&format!("http://127.0.0.1:{port}/readyz"))
                .timeout(Duration::from_secs(1))
                .call()
                .is_err()
            {
                assert!(Instant::now() < deadline, "a server did not get ready");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// Events stored so far: the log's next leaf index, read without touching the table.
    fn stored(&self, conn: &mut PgConnection) -> i64 {
        #[derive(QueryableByName)]
        struct Next {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            next_leaf: i64,
        }
        diesel::sql_query("SELECT next_leaf FROM log_next_leaf")
            .get_result::<Next>(conn)
            .map_or(0, |n| n.next_leaf)
    }

    /// Waits for the first stored event, then for `events`: the seconds between them and the
    /// CPU seconds spent meanwhile.
    fn time_until_stored(&self, events: usize) -> (f64, f64) {
        let mut conn = PgConnection::establish(&self.url).unwrap();
        let deadline = Instant::now() + Duration::from_secs(600);
        while self.stored(&mut conn) == 0 {
            assert!(Instant::now() < deadline, "nothing was stored");
            std::thread::sleep(Duration::from_millis(2));
        }
        let cpu_before = self.cpu_seconds();
        let started = Instant::now();
        while self.stored(&mut conn) < events as i64 {
            assert!(Instant::now() < deadline, "too slow");
            std::thread::sleep(Duration::from_millis(10));
        }
        (
            started.elapsed().as_secs_f64(),
            self.cpu_seconds() - cpu_before,
        )
    }

    /// CPU seconds spent so far by the servers, this process (the HTTP clients), every
    /// `postgres` process (with the postmaster's exited backends) and the NATS server.
    fn cpu_seconds(&self) -> f64 {
        let servers: Vec<u32> = self.servers.iter().map(Child::id).collect();
        let mut total = process_ticks("/proc/self/stat", false).map_or(0, |(_, t)| t);
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let is_server = entry
                .file_name()
                .to_str()
                .and_then(|pid| pid.parse::<u32>().ok())
                .is_some_and(|pid| servers.contains(&pid));
            match process_ticks(entry.path().join("stat"), true) {
                Some((_, t)) if is_server => total += t,
                Some((name, t)) if name == "postgres" || name == "nats-server" => total += t,
                _ => {}
            }
        }
        total as f64 / TICKS_PER_SECOND
    }

    /// Stops the servers: SIGKILL, as the database goes away with them.
    fn stop(&mut self) {
        for server in &mut self.servers {
            let _ = server.kill();
            let _ = server.wait();
        }
        self.servers.clear();
    }
}

impl Drop for Deployment {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.keys);
    }
}

fn einblick_command(url: &str, keys: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_einblick"));
    command
        .env("DATABASE_URL", url)
        .env("EINBLICK_LOG_KEY_DIR", keys)
        .env("EINBLICK_LOG", "warn");
    command
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The stream filled first, then `processes` servers draining it through one durable consumer.
fn nats_run(lines: &[String], processes: usize) -> Run {
    let mut deployment = Deployment::new(&format!("scale_nats_{processes}"));
    let stream = format!("EINBLICK_BENCH_SCALE_{}_{processes}", std::process::id());
    let subject = format!("einblick.bench.scale.{}.{processes}", std::process::id());
    publish(&stream, &subject, lines).expect("NATS JetStream on 127.0.0.1:4222");
    deployment.start(processes, |command| {
        command
            .env("EINBLICK_NATS_URL", NATS_URL)
            .env("EINBLICK_NATS_STREAM", &stream)
            .env("EINBLICK_NATS_SUBJECT", format!("{subject}.>"))
            .env("EINBLICK_NATS_CONSUMER", "einblick-bench")
            .env("EINBLICK_NATS_SOURCES", format!("{subject}.>=*"));
    });
    let (seconds, cpu_seconds) = deployment.time_until_stored(lines.len());
    deployment.stop();
    delete_stream(&stream);
    assert_eq!(einblick_count(&deployment), lines.len() as i64);
    Run {
        rate: lines.len() as f64 / seconds,
        seconds,
        cpu_seconds,
    }
}

/// `processes` servers, ready, then [`HTTP_CLIENTS`] clients sending batches, spread over them.
fn http_run(lines: &[String], processes: usize) -> Run {
    let mut deployment = Deployment::new(&format!("scale_http_{processes}"));
    let token = {
        let mut conn = deployment.db.get().unwrap();
        einblick::ingest::token::create(
            &mut conn,
            "bench",
            &["/bench/feed".into()],
            chrono::Utc::now().naive_utc(),
        )
        .unwrap()
        .1
    };
    deployment.start(processes, |_| {});
    deployment.wait_until_ready();
    let bodies: Vec<String> = lines
        .chunks(BATCH)
        .map(|chunk| format!("[{}]", chunk.join(",")))
        .collect();
    let cpu_before = deployment.cpu_seconds();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for client in 0..HTTP_CLIENTS {
            let port = deployment.ports[client % processes];
            let (bodies, token) = (&bodies, &token);
            scope.spawn(move || {
                let url = format!("http://127.0.0.1:{port}/api/v1/feed/events");
                let agent = ureq::AgentBuilder::new()
                    .timeout(Duration::from_secs(120))
                    .build();
                for body in bodies.iter().skip(client).step_by(HTTP_CLIENTS) {
                    let report: serde_json::Value = agent
                        .post(&url)
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
    let seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = deployment.cpu_seconds() - cpu_before;
    deployment.stop();
    assert_eq!(einblick_count(&deployment), lines.len() as i64);
    Run {
        rate: lines.len() as f64 / seconds,
        seconds,
        cpu_seconds,
    }
}

fn einblick_count(deployment: &Deployment) -> i64 {
    let mut conn = deployment.db.get().unwrap();
    einblick::db::access_event::count(&mut conn).unwrap()
}
