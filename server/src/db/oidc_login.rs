//! `oidc_logins`: sign-ins waiting at an identity provider. Taken exactly once by the callback.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::oidc_logins;
use super::AnyConnection;

#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = oidc_logins)]
pub struct OidcLoginRow {
    pub state_hash: String,
    /// `staff` or `customer`: a state begun for one cannot finish the other.
    pub purpose: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub next_path: Option<String>,
    pub created_at: NaiveDateTime,
}

/// The nonce and PKCE verifier are secrets until the sign-in is done: not in debug output.
impl std::fmt::Debug for OidcLoginRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcLoginRow")
            .field("purpose", &self.purpose)
            .field("next_path", &self.next_path)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

pub fn insert(conn: &mut AnyConnection, row: &OidcLoginRow) -> QueryResult<usize> {
    diesel::insert_into(oidc_logins::table)
        .values(row)
        .execute(conn)
}

/// The sign-in with this state, removed as it is read: a second callback with the same state
/// finds nothing. Older than `not_before`: expired, also nothing.
pub fn take(
    conn: &mut AnyConnection,
    state_hash: &str,
    purpose: &str,
    not_before: NaiveDateTime,
) -> QueryResult<Option<OidcLoginRow>> {
    let found = oidc_logins::table
        .find(state_hash)
        .filter(oidc_logins::purpose.eq(purpose))
        .filter(oidc_logins::created_at.gt(not_before))
        .select(OidcLoginRow::as_select())
        .first(conn)
        .optional()?;
    let removed = diesel::delete(oidc_logins::table.find(state_hash)).execute(conn)?;
    // Two callbacks racing for one state: only the one that removed it goes on.
    Ok(found.filter(|_| removed == 1))
}

pub fn delete_before(conn: &mut AnyConnection, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(oidc_logins::table.filter(oidc_logins::created_at.le(cutoff))).execute(conn)
}
