//! `unknown_codes`: role, category and reason codes the feed sent without a known label.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::upsert::excluded;

use super::schema::{data_categories, reason_codes, roles, unknown_codes};
use super::AnyConnection;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = unknown_codes)]
pub struct NewUnknownCode {
    /// `role`, `data_category` or `reason`.
    pub kind: &'static str,
    pub code: String,
    pub events: i64,
    pub first_seen_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable)]
pub struct UnknownCodeRow {
    pub kind: String,
    pub code: String,
    pub events: i64,
    pub first_seen_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
}

pub fn add(conn: &mut AnyConnection, rows: &[NewUnknownCode]) -> QueryResult<()> {
    for row in rows {
        crate::with_backend!(conn, |c| {
            diesel::insert_into(unknown_codes::table)
                .values(row)
                .on_conflict((unknown_codes::kind, unknown_codes::code))
                .do_update()
                .set((
                    unknown_codes::events
                        .eq(unknown_codes::events + excluded(unknown_codes::events)),
                    unknown_codes::last_seen_at.eq(excluded(unknown_codes::last_seen_at)),
                ))
                .execute(c)
        })?;
    }
    Ok(())
}

/// The codes that are still unknown: once a label is added, a code drops off the list.
pub fn still_unknown(conn: &mut AnyConnection) -> QueryResult<Vec<UnknownCodeRow>> {
    let all: Vec<UnknownCodeRow> = unknown_codes::table
        .order((unknown_codes::kind, unknown_codes::code))
        .load(conn)?;
    let known_roles: Vec<String> = roles::table.select(roles::code).load(conn)?;
    let known_categories: Vec<String> = data_categories::table
        .select(data_categories::code)
        .load(conn)?;
    let known_reasons: Vec<String> = reason_codes::table.select(reason_codes::code).load(conn)?;
    Ok(all
        .into_iter()
        .filter(|row| {
            let known = match row.kind.as_str() {
                "role" => &known_roles,
                "data_category" => &known_categories,
                _ => &known_reasons,
            };
            !known.contains(&row.code)
        })
        .collect())
}
