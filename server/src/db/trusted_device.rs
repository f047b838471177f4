//! `trusted_devices`: browsers that signed in to an account before (OWASP's device cookie).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::trusted_devices;
use super::AnyConnection;

/// The failures of a device trusted for `account_key`, if it is.
pub fn failures(
    conn: &mut AnyConnection,
    token_hash: &str,
    account_key: &str,
) -> QueryResult<Option<i32>> {
    trusted_devices::table
        .find(token_hash)
        .filter(trusted_devices::account_key.eq(account_key))
        .select(trusted_devices::failures)
        .first(conn)
        .optional()
}

pub fn set_failures(
    conn: &mut AnyConnection,
    token_hash: &str,
    failures: i32,
) -> QueryResult<usize> {
    diesel::update(trusted_devices::table.find(token_hash))
        .set(trusted_devices::failures.eq(failures))
        .execute(conn)
}

pub fn insert(
    conn: &mut AnyConnection,
    token_hash: &str,
    account_key: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(trusted_devices::table)
        .values((
            trusted_devices::token_hash.eq(token_hash),
            trusted_devices::account_key.eq(account_key),
            trusted_devices::created_at.eq(now),
            trusted_devices::failures.eq(0),
        ))
        .execute(conn)
}

pub fn delete(conn: &mut AnyConnection, token_hash: &str) -> QueryResult<usize> {
    diesel::delete(trusted_devices::table.find(token_hash)).execute(conn)
}

/// Forgets devices older than `cutoff`: trust is renewed at every sign-in.
pub fn delete_before(conn: &mut AnyConnection, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(trusted_devices::table.filter(trusted_devices::created_at.le(cutoff)))
        .execute(conn)
}
