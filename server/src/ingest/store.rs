//! Stores a batch of incoming events exactly once: new ones are inserted, the same (source, id)
//! with the same content is a counted duplicate, with other content a conflict. Rejects and
//! conflicts go to the dead-letter store. One transaction per batch: never half-written.
//! Parsing happens before the transaction, so the database is held only for the writes.

use std::collections::{BTreeMap, HashMap};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::NaiveDateTime;
use serde::Serialize;

use super::event::{self, Rejection};
use crate::db::access_event::{self, NewAccessEvent};
use crate::db::dead_letter::{self, NewDeadLetter};
use crate::db::ingest_stats::{self, NewIngestStat};
use crate::db::lookup;
use crate::db::unknown_code::{self, NewUnknownCode};
use crate::db::AnyConnection;
use crate::error::AppError;

/// How the events arrived; recorded with every dead letter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Http,
    Import,
    Nats,
    /// An admin replays a dead letter.
    Replay,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Transport::Http => "http",
            Transport::Import => "import",
            Transport::Nats => "nats",
            Transport::Replay => "replay",
        }
    }
}

/// Which `source` values the sender may use.
pub enum SourcePolicy<'a> {
    /// Operator imports are trusted with any source.
    Any,
    Only(&'a [&'a str]),
}

impl SourcePolicy<'_> {
    fn allows(&self, source: &str) -> bool {
        match self {
            SourcePolicy::Any => true,
            SourcePolicy::Only(sources) => sources.contains(&source),
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    pub accepted: usize,
    pub duplicates: usize,
    pub rejected: usize,
    pub rejections: Vec<RejectedEvent>,
    /// Stored events per source, with the newest event's time (Unix seconds): for metrics.
    #[serde(skip)]
    pub accepted_by_source: BTreeMap<String, (usize, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedEvent {
    /// 0-based position of the event in the request or file.
    pub position: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub reason: String,
}

impl IngestReport {
    /// What the metrics count of this report.
    pub fn counts(&self, transport: Transport) -> crate::metrics::IngestCounts<'_> {
        crate::metrics::IngestCounts {
            transport: transport.name(),
            accepted: self.accepted,
            duplicates: self.duplicates,
            rejected: self.rejected,
            accepted_by_source: &self.accepted_by_source,
        }
    }

    pub fn add(&mut self, other: IngestReport) {
        self.accepted += other.accepted;
        self.duplicates += other.duplicates;
        self.rejected += other.rejected;
        self.rejections.extend(other.rejections);
        for (source, (count, newest)) in other.accepted_by_source {
            let entry = self.accepted_by_source.entry(source).or_default();
            entry.0 += count;
            entry.1 = entry.1.max(newest);
        }
    }
}

/// One event's raw bytes and its position in what the sender sent.
pub struct RawEvent<'a> {
    pub position: usize,
    pub bytes: &'a [u8],
}

pub fn store_batch(
    conn: &mut AnyConnection,
    raw_events: &[RawEvent<'_>],
    transport: Transport,
    policy: &SourcePolicy<'_>,
    now: NaiveDateTime,
) -> Result<IngestReport, AppError> {
    let mut outcome = Outcome {
        report: IngestReport::default(),
        dead: Vec::new(),
        transport,
        now,
    };
    // Parse, check the source, and settle duplicates inside the batch itself: CPU work, done
    // before the transaction so concurrent batches do it side by side.
    let mut candidates: Vec<(&RawEvent<'_>, NewAccessEvent)> = Vec::new();
    let mut first_in_batch: HashMap<(String, String), String> = HashMap::new();
    for raw in raw_events {
        let parsed = match event::parse(raw.bytes, now) {
            Ok(parsed) => parsed,
            Err(rejection) => {
                outcome.reject(raw, rejection);
                continue;
            }
        };
        if !policy.allows(&parsed.source) {
            let reason = format!(
                "source {:?} is not allowed for this feed token",
                parsed.source
            );
            outcome.reject(raw, conflict_or_forgery(&parsed, reason));
            continue;
        }
        let key = (parsed.source.clone(), parsed.event_id.clone());
        match first_in_batch.get(&key) {
            Some(hash) if *hash == parsed.content_sha256 => outcome.report.duplicates += 1,
            Some(_) => outcome.reject(raw, conflict_or_forgery(&parsed, conflict_reason())),
            None => {
                first_in_batch.insert(key, parsed.content_sha256.clone());
                candidates.push((raw, parsed));
            }
        }
    }

    crate::db::write_transaction(conn, |conn| {
        // Against what is stored already.
        let keys: Vec<(String, String)> = candidates
            .iter()
            .map(|(_, e)| (e.source.clone(), e.event_id.clone()))
            .collect();
        let stored = access_event::existing_hashes(conn, &keys)?;
        let mut new_events = Vec::new();
        for (raw, parsed) in candidates {
            match stored.get(&(parsed.source.clone(), parsed.event_id.clone())) {
                Some(hash) if *hash == parsed.content_sha256 => outcome.report.duplicates += 1,
                Some(_) => outcome.reject(raw, conflict_or_forgery(&parsed, conflict_reason())),
                None => new_events.push((raw, parsed)),
            }
        }

        let rows: Vec<NewAccessEvent> = new_events.iter().map(|(_, e)| e.clone()).collect();
        let inserted = access_event::insert_new(conn, &rows)?;
        outcome.report.accepted += inserted;
        if inserted == rows.len() {
            for row in &rows {
                let entry = outcome
                    .report
                    .accepted_by_source
                    .entry(row.source.clone())
                    .or_default();
                entry.0 += 1;
                entry.1 = entry.1.max(row.occurred_at.and_utc().timestamp());
            }
        } else {
            // A concurrent writer stored some of these keys between our check and our insert.
            let raced: Vec<(String, String)> = rows
                .iter()
                .map(|e| (e.source.clone(), e.event_id.clone()))
                .collect();
            let now_stored = access_event::existing_hashes(conn, &raced)?;
            let mut lost = rows.len() - inserted;
            for (raw, parsed) in &new_events {
                let key = (parsed.source.clone(), parsed.event_id.clone());
                if now_stored
                    .get(&key)
                    .is_some_and(|hash| *hash != parsed.content_sha256)
                {
                    outcome.reject(raw, conflict_or_forgery(parsed, conflict_reason()));
                    lost -= 1;
                }
            }
            outcome.report.duplicates += lost;
        }
        // A replay never adds dead letters: the original stays where it is.
        if transport != Transport::Replay {
            dead_letter::insert_many(conn, &outcome.dead)?;
        }
        record_health(conn, &rows, inserted == rows.len(), &outcome.dead, now)?;
        record_unknown_codes(conn, &rows, now)?;
        Ok(())
    })?;
    Ok(outcome.report)
}

/// What a batch came to, and the dead letters it leaves.
struct Outcome {
    report: IngestReport,
    dead: Vec<NewDeadLetter>,
    transport: Transport,
    now: NaiveDateTime,
}

impl Outcome {
    fn reject(&mut self, raw: &RawEvent<'_>, rejection: Rejection) {
        self.report.rejected += 1;
        self.report.rejections.push(RejectedEvent {
            position: raw.position,
            id: rejection.event_id.clone(),
            reason: rejection.reason.clone(),
        });
        self.dead.push(NewDeadLetter {
            received_at: self.now,
            transport: self.transport.name().to_owned(),
            source: rejection.source,
            event_id: rejection.event_id,
            reason: rejection.reason,
            raw_base64: STANDARD.encode(raw.bytes),
        });
    }
}

/// Adds this batch to the per-minute ingest figures of each source.
fn record_health(
    conn: &mut AnyConnection,
    rows: &[NewAccessEvent],
    all_inserted: bool,
    dead: &[NewDeadLetter],
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let mut by_source: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    // After a race with a concurrent writer the split by source is unknown; the other writer
    // counts those events.
    if all_inserted {
        for row in rows {
            by_source.entry(row.source.as_str()).or_default().0 += 1;
        }
    }
    for letter in dead {
        let source = letter
            .source
            .as_deref()
            .unwrap_or(ingest_stats::UNREADABLE_SOURCE);
        by_source.entry(source).or_default().1 += 1;
    }
    let minute = ingest_stats::minute_of(now);
    let stats: Vec<NewIngestStat> = by_source
        .into_iter()
        .map(|(source, (accepted, rejected))| NewIngestStat {
            source: source.to_owned(),
            minute,
            accepted,
            rejected,
            last_received_at: now,
        })
        .collect();
    Ok(ingest_stats::add(conn, &stats)?)
}

/// Notes codes without a label, so admins can add one; the events are stored regardless.
fn record_unknown_codes(
    conn: &mut AnyConnection,
    rows: &[NewAccessEvent],
    now: NaiveDateTime,
) -> Result<(), AppError> {
    if rows.is_empty() {
        return Ok(());
    }
    let [roles, categories, reasons] = lookup::known_codes(conn)?;
    let mut unknown: BTreeMap<(&'static str, &str), i64> = BTreeMap::new();
    for row in rows {
        for (kind, code, known) in [
            ("role", row.role_code.as_str(), &roles),
            ("data_category", row.data_category.as_str(), &categories),
            ("reason", row.reason_code.as_str(), &reasons),
        ] {
            if !known.contains(code) {
                *unknown.entry((kind, code)).or_default() += 1;
            }
        }
    }
    let rows: Vec<NewUnknownCode> = unknown
        .into_iter()
        .map(|((kind, code), events)| NewUnknownCode {
            kind,
            code: code.to_owned(),
            events,
            first_seen_at: now,
            last_seen_at: now,
        })
        .collect();
    Ok(unknown_code::add(conn, &rows)?)
}

fn conflict_reason() -> String {
    "conflict: an event with this source and id is stored with different content".into()
}

fn conflict_or_forgery(event: &NewAccessEvent, reason: String) -> Rejection {
    Rejection {
        source: Some(event.source.clone()),
        event_id: Some(event.event_id.clone()),
        reason,
    }
}
