//! The audit trail of a case; entries visible to the customer form the message thread.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{dispute_history, staff_users};
use super::AnyConnection;
use crate::domain::{DisputeId, StaffUserId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = dispute_history)]
pub struct HistoryRow {
    pub id: i64,
    pub dispute_id: i64,
    pub happened_at: NaiveDateTime,
    pub staff_user_id: Option<i64>,
    pub kind: String,
    pub body: Option<String>,
    pub visible_to_customer: bool,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = dispute_history)]
pub struct NewHistoryEntry<'a> {
    pub dispute_id: i64,
    pub happened_at: NaiveDateTime,
    pub staff_user_id: Option<i64>,
    pub kind: &'a str,
    pub body: Option<&'a str>,
    pub visible_to_customer: bool,
}

impl<'a> NewHistoryEntry<'a> {
    pub fn new(
        dispute: DisputeId,
        at: NaiveDateTime,
        staff: Option<StaffUserId>,
        kind: &'a str,
        body: Option<&'a str>,
        visible_to_customer: bool,
    ) -> Self {
        Self {
            dispute_id: dispute.0,
            happened_at: at,
            staff_user_id: staff.map(|s| s.0),
            kind,
            body,
            visible_to_customer,
        }
    }
}

pub fn insert(conn: &mut AnyConnection, entry: &NewHistoryEntry<'_>) -> QueryResult<usize> {
    diesel::insert_into(dispute_history::table)
        .values(entry)
        .execute(conn)
}

/// The case's history in order, with the acting staff member's display name.
pub fn for_dispute(
    conn: &mut AnyConnection,
    dispute: DisputeId,
    customer_view: bool,
) -> QueryResult<Vec<(HistoryRow, Option<String>)>> {
    let mut query = dispute_history::table
        .left_join(staff_users::table)
        .filter(dispute_history::dispute_id.eq(dispute.0))
        .select((
            HistoryRow::as_select(),
            staff_users::display_name.nullable(),
        ))
        .order(dispute_history::id.asc())
        .into_boxed();
    if customer_view {
        query = query.filter(dispute_history::visible_to_customer.eq(true));
    }
    query.load(conn)
}
