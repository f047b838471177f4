//! Stores a batch of incoming events exactly once: new ones are inserted, the same (source, id)
//! with the same content is a counted duplicate, with other content a conflict. Rejects and
//! conflicts go to the dead-letter store. One transaction per batch: never half-written.
//! Parsing happens before the transaction, so the database is held only for the writes.

use std::collections::{BTreeMap, HashMap};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{Duration, NaiveDateTime};
use serde::Serialize;

use super::event::{self, Description, FeedEvent, ReferenceEvent, Rejection};
use crate::db::access_event::{self, NewAccessEvent};
use crate::db::customer::{self, Provisioned};
use crate::db::dead_letter::{self, NewDeadLetter};
use crate::db::employee::{self, EmployeeRow};
use crate::db::ingest_stats::{self, NewIngestStat};
use crate::db::lookup;
use crate::db::unknown_code::{self, NewUnknownCode};
use crate::db::AnyConnection;
use crate::db::{context, explanation};
use crate::domain::context::{normalise_postcode, normalise_surname};
use crate::domain::RetentionPolicy;
use crate::error::AppError;
use crate::transparency::leaf::chain_hasher;
use crate::transparency::LogKeys;

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

/// Which `source` values the channel an event came in on may use: a feed token's sources, a
/// NATS subject's binding. Patterns are a source, a prefix ending in `*`, or `*` alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourcePolicy {
    /// An operator's own import may use any source.
    Any,
    Only(Vec<String>),
}

impl SourcePolicy {
    pub fn allows(&self, source: &str) -> bool {
        match self {
            SourcePolicy::Any => true,
            SourcePolicy::Only(patterns) => {
                patterns
                    .iter()
                    .any(|pattern| match pattern.strip_suffix('*') {
                        Some(prefix) => source.starts_with(prefix),
                        None => pattern == source,
                    })
            }
        }
    }

    /// As kept with a dead letter: `None` for any source, else one pattern per line.
    pub fn stored(&self) -> Option<String> {
        match self {
            SourcePolicy::Any => None,
            SourcePolicy::Only(patterns) => Some(patterns.join("\n")),
        }
    }

    /// The policy a dead letter was kept under.
    pub fn from_stored(stored: Option<&str>) -> Self {
        match stored {
            None => SourcePolicy::Any,
            Some(lines) => SourcePolicy::Only(
                lines
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
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

/// What every channel shares beyond its own source policy.
pub struct IngestRules<'a> {
    /// The sources that may send reference data (`einblick.customer.v1`,
    /// `einblick.context.v1`, `einblick.employee.v1`): such events change who can sign in as a
    /// customer and what explains an access, so they need more than a feed token
    /// (`EINBLICK_REFERENCE_SOURCES`).
    pub reference_sources: &'a SourcePolicy,
    /// Hashes surnames and postcodes for matching.
    pub keys: &'a LogKeys,
    /// Events older than this keeps are refused: they would be removed at the next run.
    pub retention: Option<RetentionPolicy>,
}

impl SourcePolicy {
    /// The sources that may send reference data, as the operator configured them.
    pub fn reference(settings: &crate::config::Settings) -> Self {
        SourcePolicy::Only(settings.reference_sources.clone())
    }
}

/// Reference data may describe the present, not a future that would freeze it: a description
/// dated later than this past the clock is refused.
const MAX_CLOCK_AHEAD_MINUTES: i64 = 5;

pub fn store_batch(
    conn: &mut AnyConnection,
    raw_events: &[RawEvent<'_>],
    transport: Transport,
    policy: &SourcePolicy,
    rules: &IngestRules<'_>,
    now: NaiveDateTime,
) -> Result<IngestReport, AppError> {
    // As the database keeps it, so rows need no copy to be logged (`access_event::insert_new`).
    let now = {
        use chrono::Timelike;
        now.with_nanosecond(now.nanosecond() / 1_000 * 1_000)
            .unwrap_or(now)
    };
    let mut outcome = Outcome::new(transport, policy, now);
    // Parse, check the source, and settle duplicates inside the batch itself: CPU work, done
    // before the transaction so concurrent batches do it side by side.
    let mut candidates: Vec<Candidate<'_, '_>> = Vec::new();
    let mut first_in_batch: HashMap<(String, String), String> = HashMap::new();
    let mut descriptions: Vec<(&RawEvent<'_>, ReferenceEvent)> = Vec::new();
    let mut too_old: Vec<(&RawEvent<'_>, NewAccessEvent, String)> = Vec::new();
    for raw in raw_events {
        let parsed = match event::parse_feed(raw.bytes) {
            Ok(FeedEvent::Access(parsed)) => NewAccessEvent::from_event(&parsed, now, None),
            Ok(FeedEvent::Reference(described)) => {
                let refusal = if !policy.allows(&described.source) {
                    Some(not_allowed(&described.source))
                } else if !rules.reference_sources.allows(&described.source) {
                    Some(format!(
                        "source {:?} may not send reference data (customers, business records, \
                         the employee directory); the operator lists the sources that may in \
                         EINBLICK_REFERENCE_SOURCES",
                        described.source
                    ))
                } else if described.described_at
                    > now + chrono::Duration::minutes(MAX_CLOCK_AHEAD_MINUTES)
                {
                    Some("time lies in the future; a description is dated when it was true".into())
                } else {
                    None
                };
                match refusal {
                    None => descriptions.push((raw, described)),
                    Some(reason) => outcome.reject(
                        raw,
                        Rejection {
                            source: Some(described.source),
                            event_id: Some(described.event_id),
                            reason,
                        },
                    ),
                }
                continue;
            }
            Err(rejection) => {
                outcome.reject(raw, rejection);
                continue;
            }
        };
        if !policy.allows(&parsed.source) {
            let reason = not_allowed(&parsed.source);
            outcome.reject(raw, conflict_or_forgery(&parsed, reason));
            continue;
        }
        if let Some(retention) = rules.retention {
            // An hour ahead: a server whose clock is a little behind must not take back, at
            // the turn of a month, what another one has just removed.
            let oldest_kept = retention.oldest_kept(now + chrono::Duration::hours(1));
            if parsed.occurred_at.date() < oldest_kept {
                let reason = format!(
                    "time lies before {oldest_kept}: access events are kept for {} months \
                     before the current one (EINBLICK_RETENTION_MONTHS), so this one would be \
                     removed at once",
                    retention.months()
                );
                too_old.push((raw, parsed, reason));
                continue;
            }
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
    settle_too_old(conn, too_old, &mut outcome)?;
    if transport == Transport::Import {
        make_room_for_history(conn, &candidates, now);
    }
    let letters = std::mem::take(&mut outcome.dead);
    let mut report = outcome.report;
    let context = Context {
        transport,
        policy,
        now,
        keys: rules.keys,
    };
    store_or_split(conn, &candidates, letters, &context, &mut report)?;
    apply_descriptions(conn, &descriptions, rules, &context, &mut report)?;
    Ok(report)
}

/// Events older than the retention policy keeps: a redelivery of one still stored (held for a
/// dispute, say) is a duplicate like any other; the rest are refused with `reason`.
fn settle_too_old(
    conn: &mut AnyConnection,
    too_old: Vec<(&RawEvent<'_>, NewAccessEvent, String)>,
    outcome: &mut Outcome,
) -> Result<(), AppError> {
    if too_old.is_empty() {
        return Ok(());
    }
    let keys: Vec<(String, String)> = too_old
        .iter()
        .map(|(_, event, _)| (event.source.clone(), event.event_id.clone()))
        .collect();
    let stored = access_event::existing_hashes(conn, &keys)?;
    for ((raw, event, reason), key) in too_old.into_iter().zip(keys) {
        if stored.get(&key) == Some(&event.content_sha256) {
            outcome.report.duplicates += 1;
            continue;
        }
        let rejection = Rejection {
            source: Some(event.source),
            event_id: Some(event.event_id),
            reason,
        };
        outcome.reject(raw, rejection);
    }
    Ok(())
}

/// A backfill of history gets its months' partitions before it is stored (PostgreSQL), so its
/// events need not wait in the default partition to be moved later under a table lock. A month
/// that cannot be created now is no reason to refuse the events: they land in the default
/// partition, and the server splits their month out later.
fn make_room_for_history(
    conn: &mut AnyConnection,
    candidates: &[Candidate<'_, '_>],
    now: NaiveDateTime,
) {
    let times = candidates.iter().map(|(_, event)| event.occurred_at);
    let (Some(first), Some(last)) = (times.clone().min(), times.max()) else {
        return;
    };
    match crate::db::partition::ensure_months_between(conn, first, last, now) {
        Ok(run) => {
            for (name, problem) in &run.failed {
                tracing::warn!(partition = %name, %problem, "cannot create a partition of access_events yet");
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot create the partitions of access_events"),
    }
}

/// Runs one transaction again (up to four times, after a short pause) when it lost a race with
/// a concurrent batch: two batches describing one record, or marking one customer's accesses,
/// can deadlock on PostgreSQL, and the loser should be stored, not answered with an error.
fn with_retries<T>(mut attempt: impl FnMut() -> Result<T, AppError>) -> Result<T, AppError> {
    let mut pause = std::time::Duration::from_millis(5);
    for _ in 0..4 {
        match attempt() {
            Err(error) if error.is_lost_race() => {
                tracing::info!(error = %error, "a batch lost a race with another; trying again");
                std::thread::sleep(pause);
                pause *= 4;
            }
            done => return done,
        }
    }
    attempt()
}

fn not_allowed(source: &str) -> String {
    format!(
        "source {source:?} is not allowed on the channel this event came in on (its feed token \
         or NATS subject)"
    )
}

/// Applies reference events (customers, business records, the employee directory), in one
/// transaction; when the database refuses one, each is applied on its own and the refused one
/// kept as a dead letter, as with access events.
fn apply_descriptions(
    conn: &mut AnyConnection,
    descriptions: &[(&RawEvent<'_>, ReferenceEvent)],
    rules: &IngestRules<'_>,
    context: &Context<'_>,
    report: &mut IngestReport,
) -> Result<(), AppError> {
    if descriptions.is_empty() {
        return Ok(());
    }
    let error = match with_retries(|| apply_group(conn, descriptions, rules, context)) {
        Ok(applied) => {
            report.add(applied);
            return Ok(());
        }
        Err(error) if error.is_refusal_of_data() => error,
        Err(error) => return Err(error),
    };
    tracing::warn!(error = %error, "the database refused a reference event; applying one by one");
    for one in descriptions {
        match with_retries(|| apply_group(conn, std::slice::from_ref(one), rules, context)) {
            Ok(applied) => report.add(applied),
            Err(error) if error.is_refusal_of_data() => {
                let (raw, refused) = one;
                let mut outcome = Outcome::new(context.transport, context.policy, context.now);
                outcome.reject(
                    raw,
                    Rejection {
                        source: Some(refused.source.clone()),
                        event_id: Some(refused.event_id.clone()),
                        reason: "the database refused this event; it is kept for an operator \
                                 to inspect"
                            .into(),
                    },
                );
                let letters = std::mem::take(&mut outcome.dead);
                report.add(store_group(conn, &[], &letters, context)?);
                report.add(outcome.report);
            }
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// Whether a description changed something, or was one seen (or superseded) already.
fn counts(changed: bool) -> (usize, usize) {
    if changed {
        (1, 0)
    } else {
        (0, 1)
    }
}

/// The descriptions in the order their rows are locked: customers, records, then employees, the
/// records and employees by key. Two batches that described the same records in opposite orders
/// deadlocked on PostgreSQL (30 to 75 times in each run of the explain bench, each stalling both
/// batches for the deadlock timeout of 1 s, and a batch that lost five times running was
/// answered 500). The sort is stable: a record described twice in one batch is applied in the
/// batch's order, and customers keep theirs (which of two customers keeps an email address
/// depends on it).
fn in_lock_order<'d>(
    descriptions: &'d [(&RawEvent<'_>, ReferenceEvent)],
) -> Vec<&'d ReferenceEvent> {
    let key = |described: &&'d ReferenceEvent| -> (u8, &'d str, &'d str) {
        match &described.description {
            Description::Customer(_) => (0, "", ""),
            Description::Context(record) => (1, &record.kind, &record.reference),
            Description::Employee(record) => (2, &record.employee_id, ""),
        }
    };
    let mut ordered: Vec<&ReferenceEvent> = descriptions.iter().map(|(_, d)| d).collect();
    ordered.sort_by(|a, b| key(a).cmp(&key(b)));
    ordered
}

fn apply_group(
    conn: &mut AnyConnection,
    descriptions: &[(&RawEvent<'_>, ReferenceEvent)],
    rules: &IngestRules<'_>,
    context: &Context<'_>,
) -> Result<IngestReport, AppError> {
    crate::db::write_transaction(conn, |conn| {
        // The kinds the batch names, each made known once, and their windows read once.
        let mut named_kinds: Vec<&str> = descriptions
            .iter()
            .filter_map(|(_, d)| match &d.description {
                Description::Context(record) => Some(record.kind.as_str()),
                _ => None,
            })
            .collect();
        named_kinds.sort_unstable();
        named_kinds.dedup();
        for kind in &named_kinds {
            context::ensure_kind(conn, kind)?;
        }
        let windows: HashMap<String, (i64, i64)> = if named_kinds.is_empty() {
            HashMap::new()
        } else {
            context::kinds(conn)?
                .into_iter()
                .map(|k| {
                    (
                        k.code,
                        (i64::from(k.hours_before), i64::from(k.hours_after)),
                    )
                })
                .collect()
        };
        let mut recheck = explanation::Recheck::default();
        let mut report = IngestReport::default();
        let mut stats: BTreeMap<&str, i64> = BTreeMap::new();
        let hash = |purpose: &str, value: &Option<String>, normalise: fn(&str) -> String| {
            value
                .as_deref()
                .map(|v| rules.keys.matching_hash(purpose, &normalise(v)))
        };
        for described in in_lock_order(descriptions) {
            let at = described.described_at;
            let changed = match &described.description {
                Description::Customer(profile) => {
                    let (row, provisioned) =
                        customer::upsert_profile(conn, profile, Some(at), context.now)?;
                    let changed =
                        matches!(provisioned, Provisioned::Created | Provisioned::Updated);
                    if changed && (profile.surname.is_some() || profile.postcode.is_some()) {
                        customer::set_matching_hashes(
                            conn,
                            row.id(),
                            hash("surname", &profile.surname, normalise_surname),
                            hash("postcode", &profile.postcode, normalise_postcode),
                        )?;
                    }
                    if changed {
                        // Being high-profile or sharing a name changes how accesses are judged.
                        recheck.customer_window(
                            profile.customer_ref.as_str(),
                            at - Duration::days(365),
                            context.now,
                            explanation::Affected::Undecided,
                        );
                    }
                    changed
                }
                Description::Context(record) => {
                    let (row, stored) = context::upsert(conn, record, &described.source, at)?;
                    let (before, after) = windows.get(&row.kind).copied().unwrap_or((24, 72));
                    let explained_until = |r: &context::ContextRecordRow| {
                        r.closed_at.map(|c| c + Duration::hours(after))
                    };
                    if matches!(
                        stored,
                        context::Stored::Created | context::Stored::Updated(_)
                    ) {
                        // A record that arrives (or closes) late still explains what it covers.
                        let from = row.opened_at - Duration::hours(before);
                        let to = explained_until(&row)
                            .map_or(context.now, |until| until.max(context.now));
                        recheck.customer_window(
                            &row.customer_ref,
                            from,
                            to,
                            explanation::Affected::NotExplained,
                        );
                    }
                    if let context::Stored::Updated(previous) = &stored {
                        // What it explained may be explained no longer. When only its end moved
                        // (a ticket closed), that is only what lies past its new end.
                        let only_closed = context::ContextRecordRow {
                            closed_at: row.closed_at,
                            source: row.source.clone(),
                            described_at: row.described_at,
                            ..(**previous).clone()
                        } == row;
                        let old_end = explained_until(previous).unwrap_or(context.now);
                        // A ticket's window also answers whether a request naming no ticket
                        // had one (`request_without_ticket`).
                        let ticket = row.kind == crate::explain::evaluate::TICKET_KIND;
                        if !only_closed {
                            recheck.explained_by(row.id, None);
                            if ticket {
                                recheck.ticketless_requests(
                                    &previous.customer_ref,
                                    previous.opened_at - Duration::hours(before),
                                    old_end.max(context.now),
                                );
                            }
                        } else if let Some(new_end) = explained_until(&row) {
                            recheck.explained_by(row.id, Some(new_end));
                            if ticket {
                                recheck.ticketless_requests(&row.customer_ref, new_end, old_end);
                            }
                        }
                    }
                    matches!(
                        stored,
                        context::Stored::Created | context::Stored::Updated(_)
                    )
                }
                Description::Employee(record) => {
                    let row = EmployeeRow {
                        employee_id: record.employee_id.clone(),
                        surname_hash: hash("surname", &record.surname, normalise_surname),
                        postcode_hash: hash("postcode", &record.postcode, normalise_postcode),
                        team: record.team.clone(),
                        shift_start: record.shift.map(|s| i16::from(s.start)),
                        shift_end: record.shift.map(|s| i16::from(s.end)),
                        active: record.active,
                        customer_ref: record.customer.as_ref().map(|c| c.as_str().to_owned()),
                        described_at: at,
                    };
                    let changed = employee::upsert(conn, &row)?;
                    if changed {
                        recheck
                            .employee_since(&record.employee_id, context.now - Duration::days(90));
                    }
                    changed
                }
            };
            let (accepted, duplicates) = counts(changed);
            report.accepted += accepted;
            report.duplicates += duplicates;
            if changed {
                *stats.entry(described.source.as_str()).or_default() += 1;
                let entry = report
                    .accepted_by_source
                    .entry(described.source.clone())
                    .or_default();
                entry.0 += 1;
                entry.1 = entry.1.max(at.and_utc().timestamp());
            }
        }
        // Marking writes rows the judge writes too: without taking turns on the judge's lock,
        // concurrent batches and the judge deadlocked repeatedly on PostgreSQL (measured with
        // the explain benchmark). Taken only now, so the records above are written while the
        // judge works, and what it committed before is seen.
        explanation::lock_progress(conn)?;
        recheck.mark(conn)?;
        let minute = ingest_stats::minute_of(context.now);
        let rows: Vec<NewIngestStat> = stats
            .into_iter()
            .map(|(source, accepted)| NewIngestStat {
                source: source.to_owned(),
                minute,
                accepted,
                rejected: 0,
                last_received_at: context.now,
            })
            .collect();
        ingest_stats::add(conn, &rows)?;
        Ok(report)
    })
}

/// An event that parsed, with the raw bytes it came from.
type Candidate<'r, 'b> = (&'r RawEvent<'b>, NewAccessEvent);

/// How a batch arrived.
struct Context<'p> {
    transport: Transport,
    policy: &'p SourcePolicy,
    now: NaiveDateTime,
    keys: &'p LogKeys,
}

/// Stores `group` (and `letters`) in one transaction. If the database refuses it for a reason
/// the parser did not catch, the group is halved and each half stored on its own, down to the
/// one event the database refuses, which is kept as a dead letter: one bad event never takes
/// good ones with it or blocks a stream. Failures that are not about the data (a lost
/// connection, a busy database) are returned, so the sender retries the whole batch.
fn store_or_split(
    conn: &mut AnyConnection,
    group: &[Candidate<'_, '_>],
    letters: Vec<NewDeadLetter>,
    context: &Context<'_>,
    report: &mut IngestReport,
) -> Result<(), AppError> {
    let error = match with_retries(|| store_group(conn, group, &letters, context)) {
        Ok(stored) => {
            report.add(stored);
            return Ok(());
        }
        Err(error) if error.is_refusal_of_data() && !group.is_empty() => error,
        Err(error) => return Err(error),
    };
    if group.len() > 1 {
        let (first, second) = group.split_at(group.len() / 2);
        store_or_split(conn, first, letters, context, report)?;
        return store_or_split(conn, second, Vec::new(), context, report);
    }
    let (raw, refused) = &group[0];
    tracing::warn!(
        transport = context.transport.name(),
        error = %error,
        "the database refused a feed event; it is kept as a dead letter"
    );
    let mut outcome = Outcome::new(context.transport, context.policy, context.now);
    outcome.reject(
        raw,
        conflict_or_forgery(
            refused,
            "the database refused this event; it is kept for an operator to inspect".into(),
        ),
    );
    let mut letters = letters;
    letters.append(&mut outcome.dead);
    report.add(store_group(conn, &[], &letters, context)?);
    report.add(outcome.report);
    Ok(())
}

/// One transaction: what of `group` is new is stored, the rest counted as duplicates or kept as
/// conflicts, and the ingest figures and `letters` written beside it.
fn store_group(
    conn: &mut AnyConnection,
    group: &[Candidate<'_, '_>],
    letters: &[NewDeadLetter],
    context: &Context<'_>,
) -> Result<IngestReport, AppError> {
    let (transport, now) = (context.transport, context.now);
    crate::db::write_transaction(conn, |conn| {
        let mut outcome = Outcome::new(transport, context.policy, now);
        outcome.dead.extend_from_slice(letters);
        // Against what is stored already.
        let keys: Vec<(String, String)> = group
            .iter()
            .map(|(_, e)| (e.source.clone(), e.event_id.clone()))
            .collect();
        let stored = if keys.is_empty() {
            HashMap::new()
        } else {
            access_event::existing_hashes(conn, &keys)?
        };
        let mut new_events = Vec::new();
        for (raw, parsed) in group {
            match stored.get(&(parsed.source.clone(), parsed.event_id.clone())) {
                Some(hash) if *hash == parsed.content_sha256 => outcome.report.duplicates += 1,
                Some(_) => outcome.reject(raw, conflict_or_forgery(parsed, conflict_reason())),
                None => new_events.push((raw, parsed)),
            }
        }

        let rows: Vec<NewAccessEvent> = new_events.iter().map(|(_, e)| (*e).clone()).collect();
        let hasher = chain_hasher(context.keys);
        let inserted = access_event::insert_new(conn, &rows, &hasher)?;
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
        Ok(outcome.report)
    })
}

/// What a batch came to, and the dead letters it leaves.
struct Outcome {
    report: IngestReport,
    dead: Vec<NewDeadLetter>,
    transport: Transport,
    /// The channel's policy, kept with each dead letter so a replay is judged by it.
    allowed_sources: Option<String>,
    now: NaiveDateTime,
}

impl Outcome {
    fn new(transport: Transport, policy: &SourcePolicy, now: NaiveDateTime) -> Self {
        Self {
            report: IngestReport::default(),
            dead: Vec::new(),
            transport,
            allowed_sources: policy.stored(),
            now,
        }
    }

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
            allowed_sources: self.allowed_sources.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::context::{ContextRecord, EmployeeRecord};
    use crate::domain::customer_profile::CustomerProfile;
    use crate::domain::CustomerRef;

    fn described(id: &str, description: Description) -> ReferenceEvent {
        ReferenceEvent {
            source: "/crm".to_owned(),
            event_id: id.to_owned(),
            described_at: chrono::NaiveDateTime::default(),
            description,
        }
    }

    fn record(reference: &str, closed: bool) -> Description {
        let at = chrono::NaiveDateTime::default();
        Description::Context(ContextRecord {
            kind: "ticket".to_owned(),
            reference: reference.to_owned(),
            customer: CustomerRef::parse("C-1").unwrap(),
            opened_at: at,
            closed_at: closed.then_some(at),
            assigned_team: None,
            assigned_employee_id: None,
        })
    }

    fn ids(ordered: Vec<&ReferenceEvent>) -> Vec<&str> {
        ordered.into_iter().map(|d| d.event_id.as_str()).collect()
    }

    #[test]
    fn batches_naming_records_in_opposite_orders_lock_them_in_one_order() {
        let employee = Description::Employee(EmployeeRecord {
            employee_id: "E-1".to_owned(),
            surname: None,
            postcode: None,
            team: None,
            shift: None,
            active: true,
            customer: None,
        });
        let customer = |customer_ref: &str| {
            Description::Customer(CustomerProfile {
                customer_ref: CustomerRef::parse(customer_ref).unwrap(),
                email: None,
                name: None,
                lang: None,
                time_zone: None,
                high_profile: None,
                surname: None,
                postcode: None,
            })
        };
        let raw = RawEvent {
            position: 0,
            bytes: b"{}",
        };
        let batch = [
            (&raw, described("employee", employee)),
            (&raw, described("open T-2", record("T-2", false))),
            (&raw, described("C-9", customer("C-9"))),
            (&raw, described("open T-1", record("T-1", false))),
            (&raw, described("close T-2", record("T-2", true))),
            (&raw, described("C-2", customer("C-2"))),
        ];
        assert_eq!(
            ids(in_lock_order(&batch)),
            [
                "C-9",
                "C-2",
                "open T-1",
                "open T-2",
                "close T-2",
                "employee"
            ]
        );
        // The same record's descriptions (and the customers) in the batch's order, whatever it is.
        let mut reordered = batch.clone();
        reordered.swap(1, 4);
        reordered.swap(2, 5);
        assert_eq!(
            ids(in_lock_order(&reordered)),
            [
                "C-2",
                "C-9",
                "open T-1",
                "close T-2",
                "open T-2",
                "employee"
            ]
        );
    }
}
