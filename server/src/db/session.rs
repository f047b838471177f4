//! Sessions are rows keyed by the SHA-256 of the cookie's token.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::customer::CustomerRow;
use super::schema::{customers, sessions};
use super::AnyConnection;
use crate::domain::{CustomerId, StaffUserId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub token_hash: String,
    pub customer_id: Option<i64>,
    pub staff_user_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    /// The identity provider's ID token, for its logout (`id_token_hint`).
    pub id_token: Option<String>,
    /// The shop's account page, for a session the shop opened.
    pub return_url: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub customer_id: Option<i64>,
    pub staff_user_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub id_token: Option<&'a str>,
    pub return_url: Option<&'a str>,
}

/// What a session carries beside its owner.
#[derive(Debug, Clone, Default)]
pub struct SessionExtras {
    pub id_token: Option<String>,
    pub return_url: Option<String>,
}

pub fn insert_for_customer(
    conn: &mut AnyConnection,
    token_hash: &str,
    customer: CustomerId,
    extras: &SessionExtras,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(sessions::table)
        .values(NewSession {
            token_hash,
            customer_id: Some(customer.0),
            staff_user_id: None,
            created_at: now,
            last_seen_at: now,
            id_token: extras.id_token.as_deref(),
            return_url: extras.return_url.as_deref(),
        })
        .execute(conn)
}

pub fn insert_for_staff(
    conn: &mut AnyConnection,
    token_hash: &str,
    staff: StaffUserId,
    extras: &SessionExtras,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(sessions::table)
        .values(NewSession {
            token_hash,
            customer_id: None,
            staff_user_id: Some(staff.0),
            created_at: now,
            last_seen_at: now,
            id_token: extras.id_token.as_deref(),
            return_url: extras.return_url.as_deref(),
        })
        .execute(conn)
}

/// The session, if it exists and was used after `idle_cutoff`.
pub fn find_active(
    conn: &mut AnyConnection,
    token_hash: &str,
    idle_cutoff: NaiveDateTime,
) -> QueryResult<Option<SessionRow>> {
    sessions::table
        .find(token_hash)
        .filter(sessions::last_seen_at.gt(idle_cutoff))
        .select(SessionRow::as_select())
        .first(conn)
        .optional()
}

/// The session with its customer, if it exists, was used after `idle_cutoff` and is a
/// customer's: one round trip where [`find_active`] and a customer lookup took two.
pub fn find_active_customer(
    conn: &mut AnyConnection,
    token_hash: &str,
    idle_cutoff: NaiveDateTime,
) -> QueryResult<Option<(SessionRow, CustomerRow)>> {
    sessions::table
        .inner_join(customers::table)
        .filter(sessions::token_hash.eq(token_hash))
        .filter(sessions::last_seen_at.gt(idle_cutoff))
        .select((SessionRow::as_select(), CustomerRow::as_select()))
        .first(conn)
        .optional()
}

pub fn touch(conn: &mut AnyConnection, token_hash: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(sessions::table.find(token_hash))
        .set(sessions::last_seen_at.eq(now))
        .execute(conn)
}

pub fn delete(conn: &mut AnyConnection, token_hash: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(token_hash)).execute(conn)
}

pub fn delete_idle(conn: &mut AnyConnection, idle_cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::last_seen_at.le(idle_cutoff))).execute(conn)
}

pub fn delete_created_before(
    conn: &mut AnyConnection,
    cutoff: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::created_at.le(cutoff))).execute(conn)
}

/// Ends every session of a staff member (their access was taken away).
pub fn delete_for_staff(conn: &mut AnyConnection, staff: StaffUserId) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::staff_user_id.eq(staff.0))).execute(conn)
}

/// Ends every session of a customer (their password was changed).
pub fn delete_for_customer(conn: &mut AnyConnection, customer: CustomerId) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::customer_id.eq(customer.0))).execute(conn)
}

/// The session itself, however old (for signing out).
pub fn find(conn: &mut AnyConnection, token_hash: &str) -> QueryResult<Option<SessionRow>> {
    sessions::table
        .find(token_hash)
        .select(SessionRow::as_select())
        .first(conn)
        .optional()
}
