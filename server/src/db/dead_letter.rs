//! `dead_letters`: events that were not stored, kept with their raw bytes and the reason.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::dead_letters;
use super::AnyConnection;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = dead_letters)]
pub struct NewDeadLetter {
    pub received_at: NaiveDateTime,
    pub transport: String,
    pub source: Option<String>,
    pub event_id: Option<String>,
    pub reason: String,
    pub raw_base64: String,
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
