//! Prometheus metrics at `GET /metrics` (text exposition format 0.0.4). Counters are per process;
//! Prometheus sums them across the servers behind the load balancer.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

use actix_web::{web, HttpResponse};

use super::AppState;
use crate::ingest::store::{IngestReport, Transport};

#[derive(Default)]
pub struct Metrics {
    /// (transport, outcome) -> events
    feed_events: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    /// source -> (accepted events, newest accepted event time as Unix seconds)
    feed_sources: Mutex<BTreeMap<String, (u64, i64)>>,
}

impl Metrics {
    pub fn record_ingest(&self, transport: Transport, report: &IngestReport) {
        if let Ok(mut events) = self.feed_events.lock() {
            for (outcome, count) in [
                ("accepted", report.accepted),
                ("duplicate", report.duplicates),
                ("rejected", report.rejected),
            ] {
                *events.entry((transport.name(), outcome)).or_default() += count as u64;
            }
        }
        if let Ok(mut sources) = self.feed_sources.lock() {
            for (source, (count, newest)) in &report.accepted_by_source {
                let entry = sources.entry(source.clone()).or_default();
                entry.0 += *count as u64;
                entry.1 = entry.1.max(*newest);
            }
        }
    }

    fn render(&self, dead_letters: i64) -> String {
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
        out
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let dead_letters = state
        .db
        .run(|conn| Ok(crate::db::dead_letter::count(conn)?))
        .await
        .unwrap_or(-1);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(dead_letters))
}
