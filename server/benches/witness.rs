//! Witnesses and whole-timeline proofs: how long two local witnesses (`einblick witness serve`'s
//! code, on threads, each persisting its state with fsync) add to a checkpoint, beside the
//! checkpoint's own signing; how long `verify-timeline`'s check takes over a customer's 10,000
//! entries; and what the v2 leaves' chain costs at ingest, per event, beside the insert itself
//! and beside the v1 leaf hashing that extending the tree no longer does (the insert stores the
//! hash the chain computed).
//!
//! PostgreSQL: `source .ci/env && cargo bench -p server --bench witness`
//! SQLite:     `source .ci/env && EINBLICK_BENCH_BACKEND=sqlite cargo bench -p server --bench witness`
//! Optional: EINBLICK_BENCH_TIMELINE (default 10000), EINBLICK_BENCH_ROUNDS (default 200),
//! EINBLICK_TEST_POSTGRES_URL.

// A benchmark that cannot set up its data has nothing to measure: it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use chrono::Utc;
use einblick::db::access_event::{self, NewAccessEvent};
use einblick::db::log;
use einblick::domain::CustomerRef;
use einblick::transparency::leaf::{self, chain_hasher};
use einblick::transparency::witness::serve::{serve, Witness};
use einblick::transparency::witness::submit::Witnessing;
use einblick::transparency::witness::Policy;
use einblick::transparency::{checkpoint, proof, timeline_bundle, LogKeys};

const CUSTOMER: &str = "C-777001";
const BATCH: usize = 1000;

fn main() {
    let backend = std::env::var("EINBLICK_BENCH_BACKEND").unwrap_or_else(|_| "postgres".into());
    let timeline: usize = env_number("EINBLICK_BENCH_TIMELINE", 10_000);
    let rounds: usize = env_number("EINBLICK_BENCH_ROUNDS", 200);
    println!("{backend}: {rounds} witnessed checkpoints, a timeline of {timeline} entries");
    let (db, _guard) = common::scratch_database(&backend, "witness");
    let key_dir = common::log_key_dir();
    let keys = LogKeys::load_or_create(&key_dir, "bench.example/log").unwrap();
    let hasher = chain_hasher(&keys);

    // The ingest cost of v2 leaves: inserting batches as the feed does (each its own
    // transaction, the chain linked under the leaf lock), and the chain's hashing alone.
    let rows: Vec<NewAccessEvent> = (0..timeline * 3).map(|n| event(n, n % 3 == 0)).collect();
    let started = Instant::now();
    for batch in rows.chunks(BATCH) {
        let mut conn = db.get().unwrap();
        einblick::db::write_transaction(&mut conn, |c| {
            access_event::insert_new(c, batch, &hasher).map_err(Into::into)
        })
        .unwrap();
    }
    let insert_seconds = started.elapsed().as_secs_f64();
    let link = einblick::db::access_event::CustomerLink {
        entry: 7,
        previous: Some((41, [7; 32])),
    };
    let started = Instant::now();
    let mut sink = 0u8;
    for row in &rows {
        sink ^= hasher(row, &link)[0];
    }
    let hashing_seconds = started.elapsed().as_secs_f64();
    std::hint::black_box(sink);

    // Finding the customers' chain heads, as each batch's insert does: their newest v2 rows,
    // through the chain index (the index's upkeep is in the ingest bench's figures).
    let started = Instant::now();
    for batch in rows.chunks(BATCH) {
        let mut customers: Vec<&str> = batch.iter().map(|r| r.customer_ref.as_str()).collect();
        customers.sort_unstable();
        customers.dedup();
        let mut conn = db.get().unwrap();
        let heads = log::customer_heads(&mut conn, &customers).unwrap();
        std::hint::black_box(heads);
    }
    let heads_seconds = started.elapsed().as_secs_f64();

    // What extending the tree costs per leaf: reading the hash the insert stored (v2 now),
    // against reading the event and hashing its leaf (v1 leaves, as every leaf was before v2).
    let mut conn = db.get().unwrap();
    let leaves = rows.len() as i64;
    let started = Instant::now();
    for from in (0..leaves).step_by(5_000) {
        let stored = log::stored_leaf_hashes(&mut conn, from, (from + 5_000).min(leaves)).unwrap();
        assert!(stored.iter().all(|(_, hash)| hash.is_some()));
        std::hint::black_box(stored);
    }
    let stored_read_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    for from in (0..leaves).step_by(5_000) {
        for mut event in log::events_by_leaf(&mut conn, from, (from + 5_000).min(leaves)).unwrap() {
            event.leaf_format = leaf::V1;
            sink ^= tlog_tiles::record_hash(&leaf::leaf_bytes(&keys, &event)).0[0];
        }
    }
    let v1_extend_seconds = started.elapsed().as_secs_f64();
    std::hint::black_box(sink);

    // A tree covering all of it, then the customer's whole-timeline bundle and its check.
    while checkpoint::issue(&mut conn, &keys, Utc::now().naive_utc())
        .unwrap()
        .is_some()
    {}
    let customer = CustomerRef::parse(CUSTOMER).unwrap();
    let started = Instant::now();
    let bundle =
        proof::timeline_bundle(&mut conn, &keys, &customer, Utc::now().naive_utc(), None).unwrap();
    let build_seconds = started.elapsed().as_secs_f64();
    let bytes = serde_json::to_vec_pretty(&bundle).unwrap();
    let mut checks = Vec::new();
    for _ in 0..7 {
        let started = Instant::now();
        let verified = timeline_bundle::verify_timeline(&bytes, keys.verifier_key()).unwrap();
        checks.push(started.elapsed());
        assert_eq!(verified.entries.len(), timeline);
    }
    checks.sort();
    drop(conn);

    // Two witnesses on this machine, and a checkpoint every BATCH new events.
    let policy_text = start_witnesses(&keys);
    let witnessing = Witnessing::new(Policy::parse(&policy_text).unwrap());
    let mut signing = Vec::with_capacity(rounds);
    let mut witnessed = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let batch: Vec<NewAccessEvent> = (0..BATCH)
            .map(|n| event(timeline * 3 + round * BATCH + n, false))
            .collect();
        let mut conn = db.get().unwrap();
        einblick::db::write_transaction(&mut conn, |c| {
            access_event::insert_new(c, &batch, &hasher).map_err(Into::into)
        })
        .unwrap();
        let started = Instant::now();
        let row = checkpoint::issue(&mut conn, &keys, Utc::now().naive_utc())
            .unwrap()
            .expect("a new checkpoint");
        signing.push(started.elapsed());
        drop(conn);
        let started = Instant::now();
        let (cosigned, failures) = witnessing.witness(&db, &row);
        witnessed.push(started.elapsed());
        assert!(failures.is_empty(), "{failures:?}");
        assert_eq!(cosigned.len(), 2);
    }
    let mut conn = db.get().unwrap();
    let latest = log::latest_checkpoint(&mut conn).unwrap().unwrap();
    assert!(
        einblick::transparency::witness::witnessed::newest_witnessed(
            &mut conn,
            &witnessing.policy,
            latest.tree_size - 1
        )
        .unwrap()
        .is_some()
    );

    println!("\n{:<64} {:>10} {:>10}", "", "p50", "p99");
    let (p50, p99) = percentiles(&mut signing);
    println!(
        "{:<64} {:>8.1}ms {:>8.1}ms",
        format!("signing a checkpoint of {BATCH} new events"),
        p50,
        p99
    );
    let (p50, p99) = percentiles(&mut witnessed);
    println!(
        "{:<64} {:>8.1}ms {:>8.1}ms",
        "witnessing it: two local witnesses, in parallel", p50, p99
    );
    println!(
        "{:<64} {:>8.1}ms {:>8.1}ms",
        format!("verify-timeline's check, {timeline} entries (median, max of 7)"),
        ms(checks[checks.len() / 2]),
        ms(checks[checks.len() - 1])
    );
    println!(
        "{:<64} {:>8.1}ms   ({:.1} MB)",
        "building that bundle on the server",
        build_seconds * 1000.0,
        bytes.len() as f64 / 1e6
    );
    let per_event = insert_seconds / rows.len() as f64 * 1e6;
    let chain = hashing_seconds / rows.len() as f64 * 1e6;
    println!(
        "{:<64} {:>8.1}µs",
        format!("insert per event (batches of {BATCH}, v2 leaves)"),
        per_event
    );
    println!(
        "{:<64} {:>8.1}µs   ({:.1} % of the insert)",
        "of which the v2 chain's hashing per event",
        chain,
        chain / per_event * 100.0
    );
    let per_leaf = |seconds: f64| seconds / rows.len() as f64 * 1e6;
    println!(
        "{:<64} {:>8.1}µs",
        "extending the tree, per v2 leaf: reading its stored hash",
        per_leaf(stored_read_seconds)
    );
    println!(
        "{:<64} {:>8.1}µs",
        "extending the tree, per v1 leaf: reading the event, hashing it",
        per_leaf(v1_extend_seconds)
    );
    println!(
        "{:<64} {:>8.1}µs",
        "finding the customers' chain heads, per event",
        per_leaf(heads_seconds)
    );
    println!(
        "{:<64} {:>8.1}µs",
        "v2 against v1 per event (chain hashing + heads + stored read - v1 hashing)",
        chain + per_leaf(heads_seconds) + per_leaf(stored_read_seconds)
            - per_leaf(v1_extend_seconds)
    );
    let _ = std::fs::remove_dir_all(key_dir);
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn percentiles(timings: &mut [Duration]) -> (f64, f64) {
    timings.sort();
    let at = |q: f64| ms(timings[((timings.len() as f64 - 1.0) * q).round() as usize]);
    (at(0.5), at(0.99))
}

/// Event `n`; `ours` makes it the benchmark customer's.
fn event(n: usize, ours: bool) -> NewAccessEvent {
    let at = Utc::now().naive_utc() - chrono::Duration::seconds((1_000_000 - n as i64).max(0));
    let mut event = NewAccessEvent {
        source: "/bench/feed".into(),
        event_id: format!("witness-bench-{n:08}"),
        occurred_at: at,
        received_at: at,
        customer_ref: if ours {
            CUSTOMER.into()
        } else {
            format!("C-3{:06}", n % 200_000)
        },
        employee_id: format!("E-{}", 1001 + n % 60),
        role_code: "cs_agent_t1".into(),
        team: Some("Support Berlin".into()),
        office_country: Some("DE".into()),
        data_category: "purchase_history".into(),
        action: "view".into(),
        reason_code: "customer_request".into(),
        reason_text: Some("Kunde fragt nach dem Lieferstatus".into()),
        ticket_ref: Some(format!("T-{}", 50_000 + n)),
        system: Some("support-console".into()),
        content_sha256: String::new(),
        visible_from: None,
    };
    event.compute_content_hash();
    event
}

/// Starts two witnesses trusting `keys` on free local ports; returns the policy naming both.
fn start_witnesses(keys: &LogKeys) -> String {
    let mut policy = String::new();
    for name in ["a", "b"] {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!(
            "einblick_bench_witness_{name}_{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let witness = Witness::open(
            &dir,
            Some(&format!("witness-{name}.bench")),
            &[keys.verifier_key().to_owned()],
        )
        .unwrap();
        policy.push_str(&format!(
            "witness {name} {} http://127.0.0.1:{port}\n",
            witness.signer().public().encode()
        ));
        let listen = format!("127.0.0.1:{port}");
        std::thread::spawn(move || serve(witness, &listen));
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "witness {name} did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    policy.push_str("group both 2 a b\nquorum both\n");
    policy
}
