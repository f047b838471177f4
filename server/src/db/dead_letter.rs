//! `dead_letters`: events that were not stored, kept with their raw bytes and the reason.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::dead_letters;
use super::AnyConnection;
use crate::domain::DeadLetterId;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = dead_letters)]
pub struct NewDeadLetter {
    pub received_at: NaiveDateTime,
    pub transport: String,
    pub source: Option<String>,
    pub event_id: Option<String>,
    pub reason: String,
    pub raw_base64: String,
    /// The source policy of the channel it came in on (see `ingest::store::SourcePolicy`).
    pub allowed_sources: Option<String>,
}

pub fn insert_many(conn: &mut AnyConnection, rows: &[NewDeadLetter]) -> QueryResult<usize> {
    crate::with_backend!(conn, |c| {
        let mut inserted = 0;
        for chunk in rows.chunks(100) {
            inserted += diesel::insert_into(dead_letters::table)
                .values(chunk)
                .execute(c)?;
        }
        Ok(inserted)
    })
}

pub fn count(conn: &mut AnyConnection) -> QueryResult<i64> {
    dead_letters::table.count().get_result(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = dead_letters)]
pub struct DeadLetterRow {
    pub id: i64,
    pub received_at: NaiveDateTime,
    pub transport: String,
    pub source: Option<String>,
    pub event_id: Option<String>,
    pub reason: String,
    pub raw_base64: String,
    pub replayed_at: Option<NaiveDateTime>,
    pub allowed_sources: Option<String>,
    pub replay_error: Option<String>,
}

/// The newest dead letters first.
pub fn newest(conn: &mut AnyConnection, limit: i64) -> QueryResult<Vec<DeadLetterRow>> {
    dead_letters::table
        .order(dead_letters::id.desc())
        .limit(limit)
        .select(DeadLetterRow::as_select())
        .load(conn)
}

pub fn find(conn: &mut AnyConnection, id: DeadLetterId) -> QueryResult<Option<DeadLetterRow>> {
    dead_letters::table
        .find(id.0)
        .select(DeadLetterRow::as_select())
        .first(conn)
        .optional()
}

pub fn mark_replayed(
    conn: &mut AnyConnection,
    id: DeadLetterId,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(dead_letters::table.find(id.0))
        .set((
            dead_letters::replayed_at.eq(at),
            dead_letters::replay_error.eq(None::<String>),
        ))
        .execute(conn)
}

/// Why the last replay was refused, for the letter's page.
pub fn record_replay_error(
    conn: &mut AnyConnection,
    id: DeadLetterId,
    reason: &str,
) -> QueryResult<usize> {
    diesel::update(dead_letters::table.find(id.0))
        .set(dead_letters::replay_error.eq(reason))
        .execute(conn)
}

/// Dead letters still waiting for a replay or a decision.
pub fn count_open(conn: &mut AnyConnection) -> QueryResult<i64> {
    dead_letters::table
        .filter(dead_letters::replayed_at.is_null())
        .count()
        .get_result(conn)
}
