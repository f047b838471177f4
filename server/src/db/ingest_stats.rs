//! `ingest_stats`: accepted and rejected events per source and minute, for the health page.

use chrono::{NaiveDateTime, Timelike};
use diesel::prelude::*;
use diesel::upsert::excluded;

use super::schema::ingest_stats;
use super::AnyConnection;

/// The source recorded for rejects whose source could not be read.
pub const UNREADABLE_SOURCE: &str = "";

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = ingest_stats)]
pub struct NewIngestStat {
    pub source: String,
    pub minute: NaiveDateTime,
    pub accepted: i64,
    pub rejected: i64,
    pub last_received_at: NaiveDateTime,
}

pub fn minute_of(at: NaiveDateTime) -> NaiveDateTime {
    at.with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(at)
}

/// Adds a batch's counts to their minute.
pub fn add(conn: &mut AnyConnection, rows: &[NewIngestStat]) -> QueryResult<()> {
    for row in rows {
        crate::with_backend!(conn, |c| {
            diesel::insert_into(ingest_stats::table)
                .values(row)
                .on_conflict((ingest_stats::source, ingest_stats::minute))
                .do_update()
                .set((
                    ingest_stats::accepted
                        .eq(ingest_stats::accepted + excluded(ingest_stats::accepted)),
                    ingest_stats::rejected
                        .eq(ingest_stats::rejected + excluded(ingest_stats::rejected)),
                    ingest_stats::last_received_at.eq(excluded(ingest_stats::last_received_at)),
                ))
                .execute(c)
        })?;
    }
    Ok(())
}

/// Per source: events accepted and rejected since `since`, and when it last sent anything.
pub struct SourceHealthRow {
    pub source: String,
    pub accepted_since: i64,
    pub rejected_since: i64,
    pub last_received_at: NaiveDateTime,
}

pub fn health(conn: &mut AnyConnection, since: NaiveDateTime) -> QueryResult<Vec<SourceHealthRow>> {
    let rows: Vec<(String, NaiveDateTime, i64, i64, NaiveDateTime)> = ingest_stats::table
        .select((
            ingest_stats::source,
            ingest_stats::minute,
            ingest_stats::accepted,
            ingest_stats::rejected,
            ingest_stats::last_received_at,
        ))
        .load(conn)?;
    let mut by_source: std::collections::BTreeMap<String, SourceHealthRow> = Default::default();
    for (source, minute, accepted, rejected, last) in rows {
        let entry = by_source
            .entry(source.clone())
            .or_insert_with(|| SourceHealthRow {
                source,
                accepted_since: 0,
                rejected_since: 0,
                last_received_at: last,
            });
        if minute >= since {
            entry.accepted_since += accepted;
            entry.rejected_since += rejected;
        }
        entry.last_received_at = entry.last_received_at.max(last);
    }
    Ok(by_source.into_values().collect())
}

/// Minutes older than `before` are only history; the page never reads them.
pub fn prune(conn: &mut AnyConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(ingest_stats::table.filter(ingest_stats::minute.lt(before))).execute(conn)
}
