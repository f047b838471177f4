//! `password_links`: one-time links to set a password, for an invitation or a reset.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::password_links;
use super::AnyConnection;
use crate::domain::CustomerId;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = password_links)]
pub struct PasswordLinkRow {
    pub token_hash: String,
    pub customer_id: i64,
    /// `invitation` or `reset`.
    pub purpose: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

pub fn insert(
    conn: &mut AnyConnection,
    token_hash: &str,
    customer: CustomerId,
    purpose: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(password_links::table)
        .values((
            password_links::token_hash.eq(token_hash),
            password_links::customer_id.eq(customer.0),
            password_links::purpose.eq(purpose),
            password_links::created_at.eq(now),
            password_links::expires_at.eq(expires_at),
        ))
        .execute(conn)
}

/// The link, if unused and not expired.
pub fn find_valid(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<PasswordLinkRow>> {
    password_links::table
        .find(token_hash)
        .filter(password_links::used_at.is_null())
        .filter(password_links::expires_at.gt(now))
        .select(PasswordLinkRow::as_select())
        .first(conn)
        .optional()
}

/// Marks the link used; `false` when it was used (or expired) meanwhile.
pub fn mark_used(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let marked = diesel::update(
        password_links::table
            .find(token_hash)
            .filter(password_links::used_at.is_null())
            .filter(password_links::expires_at.gt(now)),
    )
    .set(password_links::used_at.eq(now))
    .execute(conn)?;
    Ok(marked == 1)
}

/// A new password makes every other open link of the customer worthless.
pub fn retire_all(
    conn: &mut AnyConnection,
    customer: CustomerId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        password_links::table
            .filter(password_links::customer_id.eq(customer.0))
            .filter(password_links::used_at.is_null()),
    )
    .set(password_links::used_at.eq(now))
    .execute(conn)
}

/// How many links the customer was sent since `since`: resets are rate-limited per account.
pub fn count_since(
    conn: &mut AnyConnection,
    customer: CustomerId,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    password_links::table
        .filter(password_links::customer_id.eq(customer.0))
        .filter(password_links::created_at.gt(since))
        .count()
        .get_result(conn)
}

/// Whether the customer was ever sent a link (an invitation is sent once).
pub fn any_for(conn: &mut AnyConnection, customer: CustomerId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        password_links::table.filter(password_links::customer_id.eq(customer.0)),
    ))
    .get_result(conn)
}
