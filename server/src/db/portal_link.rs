//! `portal_links`: one-time links into the portal that the shop hands its signed-in customers.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::portal_links;
use super::AnyConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = portal_links)]
pub struct PortalLinkRow {
    pub token_hash: String,
    pub customer_ref: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub lang: Option<String>,
    pub time_zone: Option<String>,
    /// Where the customer lands: a local path.
    pub path: String,
    pub return_url: Option<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut AnyConnection, row: &PortalLinkRow) -> QueryResult<usize> {
    diesel::insert_into(portal_links::table)
        .values(row)
        .execute(conn)
}

/// The link, if it is unused and not expired; it is marked used in the same step, so a second
/// use (or a race of two) finds nothing.
pub fn redeem(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<PortalLinkRow>> {
    let claimed = diesel::update(
        portal_links::table
            .find(token_hash)
            .filter(portal_links::used_at.is_null())
            .filter(portal_links::expires_at.gt(now)),
    )
    .set(portal_links::used_at.eq(now))
    .execute(conn)?;
    if claimed != 1 {
        return Ok(None);
    }
    portal_links::table
        .find(token_hash)
        .select(PortalLinkRow::as_select())
        .first(conn)
        .optional()
}

/// Links are kept a day for the record, then removed.
pub fn delete_before(conn: &mut AnyConnection, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(portal_links::table.filter(portal_links::expires_at.le(cutoff))).execute(conn)
}
