//! Prometheus metrics, served at `GET /metrics` (text exposition format 0.0.4). Counters are per
//! process; Prometheus sums them across the servers behind the load balancer.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

/// What one feed batch came to, as the metrics count it.
pub struct IngestCounts<'a> {
    pub transport: &'static str,
    pub accepted: usize,
    pub duplicates: usize,
    pub rejected: usize,
    /// Stored events per source, with the newest event's time (Unix seconds).
    pub accepted_by_source: &'a BTreeMap<String, (usize, i64)>,
}

#[derive(Default)]
pub struct Metrics {
    /// (transport, outcome) -> events
    feed_events: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    /// source -> (accepted events, newest accepted event time as Unix seconds)
    feed_sources: Mutex<BTreeMap<String, (u64, i64)>>,
    password_hashes: AtomicU64,
    password_hashes_peak: AtomicUsize,
}

impl Metrics {
    pub fn record_ingest(&self, counts: &IngestCounts<'_>) {
        if let Ok(mut events) = self.feed_events.lock() {
            for (outcome, count) in [
                ("accepted", counts.accepted),
                ("duplicate", counts.duplicates),
                ("rejected", counts.rejected),
            ] {
                *events.entry((counts.transport, outcome)).or_default() += count as u64;
            }
        }
        if let Ok(mut sources) = self.feed_sources.lock() {
            for (source, (count, newest)) in counts.accepted_by_source {
                let entry = sources.entry(source.clone()).or_default();
                entry.0 += *count as u64;
                entry.1 = entry.1.max(*newest);
            }
        }
    }

    /// One Argon2 hash or check started, with `running` now in progress.
    pub fn record_password_hash(&self, running: usize) {
        self.password_hashes.fetch_add(1, Ordering::Relaxed);
        self.password_hashes_peak
            .fetch_max(running, Ordering::Relaxed);
    }

    /// Argon2 hashes and checks started since start-up, and the most that ran at once.
    pub fn password_hashes(&self) -> (u64, usize) {
        (
            self.password_hashes.load(Ordering::Relaxed),
            self.password_hashes_peak.load(Ordering::Relaxed),
        )
    }

    pub fn render(&self, dead_letters: i64) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP einblick_feed_events_total Feed events received, by transport and outcome.\n",
        );
        out.push_str("# TYPE einblick_feed_events_total counter\n");
        if let Ok(events) = self.feed_events.lock() {
            for ((transport, outcome), count) in events.iter() {
                let _ = writeln!(out, "einblick_feed_events_total{{transport=\"{transport}\",outcome=\"{outcome}\"}} {count}");
            }
        }
        out.push_str("# HELP einblick_feed_source_events_total Events stored, by feed source.\n");
        out.push_str("# TYPE einblick_feed_source_events_total counter\n");
        let sources = self
            .feed_sources
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default();
        for (source, (count, _)) in &sources {
            let _ = writeln!(
                out,
                "einblick_feed_source_events_total{{source=\"{}\"}} {count}",
                escape(source)
            );
        }
        out.push_str("# HELP einblick_feed_source_last_event_seconds Time of the newest stored event, by feed source.\n");
        out.push_str("# TYPE einblick_feed_source_last_event_seconds gauge\n");
        for (source, (_, newest)) in &sources {
            let _ = writeln!(
                out,
                "einblick_feed_source_last_event_seconds{{source=\"{}\"}} {newest}",
                escape(source)
            );
        }
        out.push_str("# HELP einblick_dead_letters Events kept in the dead-letter store.\n");
        out.push_str("# TYPE einblick_dead_letters gauge\n");
        let _ = writeln!(out, "einblick_dead_letters {dead_letters}");
        let (hashes, peak) = self.password_hashes();
        out.push_str(
            "# HELP einblick_password_hashes_total Argon2 password hashes and checks started.\n",
        );
        out.push_str("# TYPE einblick_password_hashes_total counter\n");
        let _ = writeln!(out, "einblick_password_hashes_total {hashes}");
        out.push_str("# HELP einblick_password_hashes_peak Most Argon2 hashes that ran at once since start.\n");
        out.push_str("# TYPE einblick_password_hashes_peak gauge\n");
        let _ = writeln!(out, "einblick_password_hashes_peak {peak}");
        out
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
