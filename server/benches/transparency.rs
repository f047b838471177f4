//! The verifiable log at scale: how long the server takes to produce an inclusion proof (and a
//! consistency proof) from the tiles stored in the database, for a tree of 10 M leaves, checked
//! against the signed root as the server does before answering; and the tiles' bytes per leaf.
//!
//! PostgreSQL: `source .ci/env && cargo bench -p server --bench transparency`
//! SQLite:     `source .ci/env && EINBLICK_BENCH_BACKEND=sqlite cargo bench -p server --bench transparency`
//! Optional: EINBLICK_BENCH_LEAVES (default 10000000), EINBLICK_TEST_POSTGRES_URL.

// A benchmark that cannot set up its data has nothing to measure: it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use einblick::db::log::{self, CheckpointRow};
use einblick::seed::demo::DemoRng;
use einblick::transparency::checkpoint::signed_checkpoint;
use einblick::transparency::proof;
use einblick::transparency::tiles::TreeBuilder;
use einblick::transparency::LogKeys;
use tlog_tiles::{record_hash, Hash};

const PROOFS: usize = 2000;

fn leaf_hash(index: u64) -> Hash {
    record_hash(&index.to_be_bytes())
}

fn main() {
    let backend = std::env::var("EINBLICK_BENCH_BACKEND").unwrap_or_else(|_| "postgres".into());
    let leaves: u64 = std::env::var("EINBLICK_BENCH_LEAVES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    println!("{leaves} leaves, {backend}");
    let (db, _guard) = common::scratch_database(&backend, "log");
    let keys = LogKeys::load_or_create(&common::log_key_dir(), "bench.example/log").unwrap();
    let mut conn = db.get().unwrap();

    // Build the tree and store its tiles, as checkpointing does, a million leaves at a time.
    let started = Instant::now();
    let older_size = leaves - 12_345;
    let mut tree = TreeBuilder::empty();
    let mut older: Option<CheckpointRow> = None;
    for index in 0..leaves {
        tree.append(leaf_hash(index));
        if index + 1 == older_size {
            older = Some(checkpoint(&keys, &tree));
        }
        if (index + 1) % 1_000_000 == 0 || index + 1 == leaves {
            einblick::db::write_transaction(&mut conn, |c| tree.store(c)).unwrap();
        }
    }
    let latest = checkpoint(&keys, &tree);
    for row in [older.as_ref().unwrap(), &latest] {
        log::insert_checkpoint(&mut conn, row).unwrap();
    }
    println!(
        "built and stored in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let mut rng = DemoRng::new(7);
    let mut timings = Vec::with_capacity(PROOFS);
    for _ in 0..PROOFS {
        let index = rng.below(leaves);
        let started = Instant::now();
        let path = proof::inclusion_proof(&mut conn, &latest, index, leaf_hash(index)).unwrap();
        timings.push(started.elapsed());
        assert!(!path.is_empty());
    }
    let mut consistency = Vec::with_capacity(100);
    for _ in 0..100 {
        let started = Instant::now();
        proof::consistency_proof(&mut conn, older.as_ref().unwrap(), &latest).unwrap();
        consistency.push(started.elapsed());
    }

    println!(
        "\n{:<52} {:>10} {:>10} {:>10}",
        "request", "median µs", "p99 µs", "max µs"
    );
    for (label, mut timings) in [
        (format!("inclusion proof, {PROOFS} random leaves"), timings),
        (
            "consistency proof, 12,345 leaves apart".to_owned(),
            consistency,
        ),
    ] {
        timings.sort();
        let at = |q: f64| micros(timings[((timings.len() - 1) as f64 * q) as usize]);
        println!(
            "{label:<52} {:>10.0} {:>10.0} {:>10.0}",
            at(0.5),
            at(0.99),
            at(1.0)
        );
    }
    let tile_bytes: i64 = {
        use diesel::prelude::*;
        use einblick::db::schema::log_tiles::dsl as lt;
        lt::log_tiles
            .select(lt::hashes)
            .load::<Vec<u8>>(&mut *conn)
            .unwrap()
            .iter()
            .map(|h| h.len() as i64)
            .sum()
    };
    println!(
        "\ntile hashes per leaf: {:.2} bytes ({} tile bytes)",
        tile_bytes as f64 / leaves as f64,
        tile_bytes
    );
}

fn checkpoint(keys: &LogKeys, tree: &TreeBuilder) -> CheckpointRow {
    let root = tree.root().unwrap();
    CheckpointRow {
        tree_size: tree.size() as i64,
        root_hash: root.0.to_vec(),
        note: signed_checkpoint(keys, tree.size(), root).unwrap(),
        issued_at: chrono::Utc::now().naive_utc(),
    }
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}
