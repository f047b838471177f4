//! Disputes and the access events they are about.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{customers, dispute_events, disputes};
use super::AnyConnection;
use crate::domain::{CustomerId, DisputeId, DisputeStatus, StaffUserId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = disputes)]
pub struct DisputeRow {
    pub id: i64,
    pub reference: String,
    pub customer_id: i64,
    pub ground: String,
    pub statement: String,
    pub status: DisputeStatus,
    pub received_at: NaiveDateTime,
    pub due_on: NaiveDate,
    pub extended_due_on: Option<NaiveDate>,
    pub extension_reason: Option<String>,
    pub assignee_id: Option<i64>,
    pub decided_at: Option<NaiveDateTime>,
    pub decision_explanation: Option<String>,
    pub internal_note: Option<String>,
    pub updated_at: NaiveDateTime,
}

impl DisputeRow {
    pub fn id(&self) -> DisputeId {
        DisputeId(self.id)
    }

    pub fn customer_id(&self) -> CustomerId {
        CustomerId(self.customer_id)
    }

    pub fn deadline(&self) -> crate::domain::Deadline {
        crate::domain::Deadline {
            original: self.due_on,
            extended: self.extended_due_on,
        }
    }

    pub fn status(&self) -> DisputeStatus {
        self.status
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = disputes)]
pub struct NewDispute<'a> {
    pub reference: &'a str,
    pub customer_id: i64,
    pub ground: &'a str,
    pub statement: &'a str,
    pub status: DisputeStatus,
    pub received_at: NaiveDateTime,
    pub due_on: NaiveDate,
    pub updated_at: NaiveDateTime,
}

/// A change of a case; `None` leaves a column as it is.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = disputes)]
pub struct DisputeChange<'a> {
    pub status: Option<DisputeStatus>,
    pub extended_due_on: Option<NaiveDate>,
    pub extension_reason: Option<&'a str>,
    pub assignee_id: Option<Option<i64>>,
    pub decided_at: Option<NaiveDateTime>,
    pub decision_explanation: Option<&'a str>,
    pub internal_note: Option<&'a str>,
    pub updated_at: Option<NaiveDateTime>,
}

/// Keeps a retention pass (`db::retention`, which locks `dispute_events` against this) from
/// removing the events a dispute about to be filed names between reading them and storing the
/// dispute: call it first in the transaction that files it. SQLite has one writer at a time.
pub fn lock_out_retention(conn: &mut AnyConnection) -> QueryResult<()> {
    #[cfg(feature = "postgres")]
    if matches!(conn, AnyConnection::Postgresql(_)) {
        diesel::sql_query("LOCK TABLE dispute_events IN ROW EXCLUSIVE MODE").execute(conn)?;
    }
    #[cfg(not(feature = "postgres"))]
    let _ = conn;
    Ok(())
}

pub fn insert(
    conn: &mut AnyConnection,
    dispute: &NewDispute<'_>,
    event_ids: &[i64],
) -> QueryResult<DisputeId> {
    diesel::insert_into(disputes::table)
        .values(dispute)
        .execute(conn)?;
    let id: i64 = disputes::table
        .filter(disputes::reference.eq(dispute.reference))
        .select(disputes::id)
        .first(conn)?;
    for event_id in event_ids {
        diesel::insert_into(dispute_events::table)
            .values((
                dispute_events::dispute_id.eq(id),
                dispute_events::access_event_id.eq(event_id),
            ))
            .execute(conn)?;
    }
    Ok(DisputeId(id))
}

pub fn update(
    conn: &mut AnyConnection,
    id: DisputeId,
    change: &DisputeChange<'_>,
) -> QueryResult<usize> {
    diesel::update(disputes::table.find(id.0))
        .set(change)
        .execute(conn)
}

/// The case with this reference, with its row's write lock held until the transaction ends:
/// whoever changes a case reads it only after a concurrent change has committed. (A no-op
/// update takes the lock portably; SQLite has no `SELECT … FOR UPDATE`, and there writers
/// take turns anyway.)
pub fn find_for_update(
    conn: &mut AnyConnection,
    reference: &str,
) -> QueryResult<Option<DisputeRow>> {
    diesel::update(disputes::table.filter(disputes::reference.eq(reference)))
        .set(disputes::updated_at.eq(disputes::updated_at))
        .execute(conn)?;
    find_by_reference(conn, reference)
}

pub fn find_by_reference(
    conn: &mut AnyConnection,
    reference: &str,
) -> QueryResult<Option<DisputeRow>> {
    disputes::table
        .filter(disputes::reference.eq(reference))
        .select(DisputeRow::as_select())
        .first(conn)
        .optional()
}

/// A customer's disputes, newest first.
pub fn list_for_customer(
    conn: &mut AnyConnection,
    customer: CustomerId,
) -> QueryResult<Vec<DisputeRow>> {
    disputes::table
        .filter(disputes::customer_id.eq(customer.0))
        .order((disputes::received_at.desc(), disputes::id.desc()))
        .select(DisputeRow::as_select())
        .load(conn)
}

/// Number of access events each dispute is about.
pub fn event_counts(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> QueryResult<std::collections::HashMap<i64, i64>> {
    let rows: Vec<(i64, i64)> = dispute_events::table
        .filter(dispute_events::dispute_id.eq_any(ids))
        .group_by(dispute_events::dispute_id)
        .select((dispute_events::dispute_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

pub fn event_ids(conn: &mut AnyConnection, id: DisputeId) -> QueryResult<Vec<i64>> {
    dispute_events::table
        .filter(dispute_events::dispute_id.eq(id.0))
        .order(dispute_events::access_event_id.desc())
        .select(dispute_events::access_event_id)
        .load(conn)
}

/// The back office queue: which cases, in due-date order.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// Only these statuses; empty means every status.
    pub statuses: Vec<DisputeStatus>,
    /// `Some(None)`: unassigned cases only.
    pub assignee: Option<Option<StaffUserId>>,
    /// Only cases open past this day.
    pub overdue_on: Option<NaiveDate>,
}

/// Statuses of cases that still wait for an answer.
pub const OPEN_STATUSES: [DisputeStatus; 3] = [
    DisputeStatus::Open,
    DisputeStatus::InReview,
    DisputeStatus::WaitingForCustomer,
];

/// Cases that matter for statistics of `[start, end)`: received before its end and either
/// touched within it or still open.
pub fn for_statistics(
    conn: &mut AnyConnection,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> QueryResult<Vec<DisputeRow>> {
    disputes::table
        .filter(disputes::received_at.lt(end))
        .filter(
            disputes::updated_at
                .ge(start)
                .or(disputes::status.eq_any(OPEN_STATUSES)),
        )
        .select(DisputeRow::as_select())
        .load(conn)
}

/// How many cases are still open after their due day (after any extension).
pub fn count_overdue(conn: &mut AnyConnection, today: NaiveDate) -> QueryResult<i64> {
    disputes::table
        .filter(disputes::status.eq_any(OPEN_STATUSES))
        .filter(
            disputes::extended_due_on
                .lt(today)
                .or(disputes::extended_due_on
                    .is_null()
                    .and(disputes::due_on.lt(today))),
        )
        .count()
        .get_result(conn)
}

/// A queue row: the case, its customer's reference and whether the customer is a VIP.
pub fn queue(
    conn: &mut AnyConnection,
    filter: &QueueFilter,
    limit: i64,
) -> QueryResult<Vec<(DisputeRow, String, bool)>> {
    let mut query = disputes::table
        .inner_join(customers::table)
        .select((
            DisputeRow::as_select(),
            customers::customer_ref,
            customers::is_vip,
        ))
        .into_boxed();
    if !filter.statuses.is_empty() {
        query = query.filter(disputes::status.eq_any(filter.statuses.clone()));
    }
    match filter.assignee {
        Some(Some(staff)) => query = query.filter(disputes::assignee_id.eq(staff.0)),
        Some(None) => query = query.filter(disputes::assignee_id.is_null()),
        None => {}
    }
    if let Some(today) = filter.overdue_on {
        query = query.filter(disputes::status.eq_any(OPEN_STATUSES)).filter(
            disputes::extended_due_on
                .lt(today)
                .or(disputes::extended_due_on
                    .is_null()
                    .and(disputes::due_on.lt(today))),
        );
    }
    query
        .order((
            diesel::dsl::sql::<diesel::sql_types::Date>(
                "COALESCE(disputes.extended_due_on, disputes.due_on)",
            )
            .asc(),
            disputes::id.asc(),
        ))
        .limit(limit)
        .load(conn)
}
