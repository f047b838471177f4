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

/// Per source: events accepted in the last hour, rejected in the last day, and when it last
/// sent anything (however long ago).
pub struct SourceHealthRow {
    pub source: String,
    pub accepted_last_hour: i64,
    pub rejected_last_day: i64,
    pub last_received_at: NaiveDateTime,
}

pub fn health(
    conn: &mut AnyConnection,
    hour_ago: NaiveDateTime,
    day_ago: NaiveDateTime,
) -> QueryResult<Vec<SourceHealthRow>> {
    let latest: Vec<(String, Option<NaiveDateTime>)> = ingest_stats::table
        .group_by(ingest_stats::source)
        .select((
            ingest_stats::source,
            diesel::dsl::max(ingest_stats::last_received_at),
        ))
        .load(conn)?;
    let recent: Vec<(String, NaiveDateTime, i64, i64)> = ingest_stats::table
        .filter(ingest_stats::minute.ge(day_ago))
        .select((
            ingest_stats::source,
            ingest_stats::minute,
            ingest_stats::accepted,
            ingest_stats::rejected,
        ))
        .load(conn)?;
    let mut by_source: std::collections::BTreeMap<String, SourceHealthRow> = latest
        .into_iter()
        .filter_map(|(source, last)| {
            last.map(|last_received_at| {
                let row = SourceHealthRow {
                    source: source.clone(),
                    accepted_last_hour: 0,
                    rejected_last_day: 0,
                    last_received_at,
                };
                (source, row)
            })
        })
        .collect();
    for (source, minute, accepted, rejected) in recent {
        if let Some(row) = by_source.get_mut(&source) {
            if minute >= hour_ago {
                row.accepted_last_hour += accepted;
            }
            row.rejected_last_day += rejected;
        }
    }
    Ok(by_source.into_values().collect())
}
