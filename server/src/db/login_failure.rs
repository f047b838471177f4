//! Failed sign-ins per throttle key, kept in the database so every server behind the load
//! balancer sees the same count.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::login_failures;
use super::AnyConnection;

pub fn count_since(conn: &mut AnyConnection, key: &str, since: NaiveDateTime) -> QueryResult<i64> {
    login_failures::table
        .filter(login_failures::throttle_key.eq(key))
        .filter(login_failures::failed_at.gt(since))
        .count()
        .get_result(conn)
}

/// The oldest failure still inside the window: the lockout ends when it leaves the window.
pub fn oldest_since(
    conn: &mut AnyConnection,
    key: &str,
    since: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    login_failures::table
        .filter(login_failures::throttle_key.eq(key))
        .filter(login_failures::failed_at.gt(since))
        .select(diesel::dsl::min(login_failures::failed_at))
        .first(conn)
}

/// The newest failure still inside the window: per-address delays count from it.
pub fn newest_since(
    conn: &mut AnyConnection,
    key: &str,
    since: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    login_failures::table
        .filter(login_failures::throttle_key.eq(key))
        .filter(login_failures::failed_at.gt(since))
        .select(diesel::dsl::max(login_failures::failed_at))
        .first(conn)
}

/// Records an attempt as a failure (until it turns out otherwise); returns its row id.
pub fn record(conn: &mut AnyConnection, key: &str, at: NaiveDateTime) -> QueryResult<i64> {
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::throttle_key.eq(key),
            login_failures::failed_at.eq(at),
        ))
        .returning(login_failures::id)
        .get_result(conn)
}

/// Takes back attempts that turned out to succeed.
pub fn delete_ids(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::id.eq_any(ids))).execute(conn)
}

pub fn clear(conn: &mut AnyConnection, key: &str) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::throttle_key.eq(key))).execute(conn)
}

pub fn delete_before(conn: &mut AnyConnection, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::failed_at.le(cutoff))).execute(conn)
}
