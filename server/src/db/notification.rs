//! What customers want to be told (`notification_preferences`, `notification_categories`) and
//! the accesses waiting to be told of (`pending_alerts`).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::access_event::AccessEventRow;
use super::schema::{customers, notification_categories, notification_preferences, pending_alerts};
use super::AnyConnection;
use crate::domain::notification::NotificationMode;
use crate::domain::CustomerId;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notification_preferences)]
pub struct PreferenceRow {
    pub customer_id: i64,
    pub mode: String,
    pub quiet_weeks: bool,
    pub changed_at: NaiveDateTime,
    pub last_alert_at: Option<NaiveDateTime>,
}

/// A customer's choice, with the quiet default for one who never chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preferences {
    pub mode: NotificationMode,
    /// Data category codes the customer is always alerted of.
    pub always: Vec<String>,
    pub quiet_weeks: bool,
    /// `None`: never chosen.
    pub changed_at: Option<NaiveDateTime>,
}

pub fn preferences_of(conn: &mut AnyConnection, customer: CustomerId) -> QueryResult<Preferences> {
    let row: Option<PreferenceRow> = notification_preferences::table
        .find(customer.0)
        .select(PreferenceRow::as_select())
        .first(conn)
        .optional()?;
    let always = always_of(conn, customer)?;
    Ok(match row {
        Some(row) => Preferences {
            mode: NotificationMode::from_stored(&row.mode),
            always,
            quiet_weeks: row.quiet_weeks,
            changed_at: Some(row.changed_at),
        },
        None => Preferences {
            mode: NotificationMode::DEFAULT,
            always,
            quiet_weeks: false,
            changed_at: None,
        },
    })
}

/// The data categories the customer is always alerted of.
pub fn always_of(conn: &mut AnyConnection, customer: CustomerId) -> QueryResult<Vec<String>> {
    notification_categories::table
        .filter(notification_categories::customer_id.eq(customer.0))
        .order(notification_categories::category_code)
        .select(notification_categories::category_code)
        .load(conn)
}

/// Stores the customer's choice, replacing the previous one, dated `now`. The alert window
/// carries over: switching back and forth does not make a burst two emails.
pub fn save_preferences(
    conn: &mut AnyConnection,
    customer: CustomerId,
    mode: NotificationMode,
    always: &[String],
    quiet_weeks: bool,
    now: NaiveDateTime,
) -> QueryResult<()> {
    crate::with_backend!(conn, |c| {
        diesel::insert_into(notification_preferences::table)
            .values((
                notification_preferences::customer_id.eq(customer.0),
                notification_preferences::mode.eq(mode.code()),
                notification_preferences::quiet_weeks.eq(quiet_weeks),
                notification_preferences::changed_at.eq(now),
            ))
            .on_conflict(notification_preferences::customer_id)
            .do_update()
            .set((
                notification_preferences::mode.eq(mode.code()),
                notification_preferences::quiet_weeks.eq(quiet_weeks),
                notification_preferences::changed_at.eq(now),
            ))
            .execute(c)
    })?;
    diesel::delete(
        notification_categories::table.filter(notification_categories::customer_id.eq(customer.0)),
    )
    .execute(conn)?;
    let rows: Vec<_> = always
        .iter()
        .map(|code| {
            (
                notification_categories::customer_id.eq(customer.0),
                notification_categories::category_code.eq(code.as_str()),
            )
        })
        .collect();
    if !rows.is_empty() {
        crate::with_backend!(conn, |c| diesel::insert_into(
            notification_categories::table
        )
        .values(&rows)
        .execute(c))?;
    }
    Ok(())
}

/// Takes the customer's preference row in turn (PostgreSQL; SQLite writes one at a time
/// anyway), so two processes never queue the same window's alert twice.
pub fn lock_preferences(
    conn: &mut AnyConnection,
    customer: CustomerId,
) -> QueryResult<Option<PreferenceRow>> {
    match conn {
        #[cfg(feature = "postgres")]
        AnyConnection::Postgresql(pg) => notification_preferences::table
            .find(customer.0)
            .select(PreferenceRow::as_select())
            .for_no_key_update()
            .first(pg)
            .optional(),
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(c) => notification_preferences::table
            .find(customer.0)
            .select(PreferenceRow::as_select())
            .first(c)
            .optional(),
    }
}

pub fn set_last_alert(
    conn: &mut AnyConnection,
    customer: CustomerId,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(notification_preferences::table.find(customer.0))
        .set(notification_preferences::last_alert_at.eq(at))
        .execute(conn)
}

/// Notes the accesses among `events` that a customer asked to be alerted of (by mode or by
/// category), for the alert sender to gather; runs in the transaction that judged them. Whether
/// an `unexplained_only` access is worth it is decided when the alert is composed, on the
/// judgement as it stands then.
pub fn note_alert_candidates(
    conn: &mut AnyConnection,
    events: &[AccessEventRow],
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let refs: HashSet<&str> = events.iter().map(|e| e.customer_ref.as_str()).collect();
    if refs.is_empty() {
        return Ok(0);
    }
    let refs: Vec<&str> = refs.into_iter().collect();
    // Only customers who chose something other than the default can want an alert.
    let chosen: Vec<(i64, String, String)> = customers::table
        .inner_join(
            notification_preferences::table
                .on(notification_preferences::customer_id.eq(customers::id)),
        )
        .filter(customers::customer_ref.eq_any(&refs))
        .filter(customers::email.is_not_null())
        .select((
            customers::id,
            customers::customer_ref,
            notification_preferences::mode,
        ))
        .load(conn)?;
    if chosen.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = chosen.iter().map(|(id, _, _)| *id).collect();
    let mut always: HashMap<i64, HashSet<String>> = HashMap::new();
    for (customer, category) in notification_categories::table
        .filter(notification_categories::customer_id.eq_any(&ids))
        .select((
            notification_categories::customer_id,
            notification_categories::category_code,
        ))
        .load::<(i64, String)>(conn)?
    {
        always.entry(customer).or_default().insert(category);
    }
    let by_ref: HashMap<&str, (i64, NotificationMode)> = chosen
        .iter()
        .map(|(id, customer_ref, mode)| {
            (
                customer_ref.as_str(),
                (*id, NotificationMode::from_stored(mode)),
            )
        })
        .collect();
    let rows: Vec<_> = events
        .iter()
        .filter_map(|event| {
            let (customer, mode) = by_ref.get(event.customer_ref.as_str())?;
            let always = always
                .get(customer)
                .is_some_and(|set| set.contains(&event.data_category));
            (mode.alerts() || always).then_some((
                pending_alerts::access_event_id.eq(event.id),
                pending_alerts::customer_id.eq(*customer),
                pending_alerts::queued_at.eq(now),
            ))
        })
        .collect();
    if rows.is_empty() {
        return Ok(0);
    }
    crate::with_backend!(conn, |c| {
        diesel::insert_into(pending_alerts::table)
            .values(&rows)
            .on_conflict(pending_alerts::access_event_id)
            .do_nothing()
            .execute(c)
    })
}

/// Customers after `after` (id order, at most `limit`) with accesses waiting since
/// `noted_before` or earlier whose last alert was queued no later than `told_before`.
pub fn customers_waiting(
    conn: &mut AnyConnection,
    after: CustomerId,
    noted_before: NaiveDateTime,
    told_before: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<CustomerId>> {
    Ok(pending_alerts::table
        .inner_join(
            notification_preferences::table
                .on(notification_preferences::customer_id.eq(pending_alerts::customer_id)),
        )
        .filter(pending_alerts::customer_id.gt(after.0))
        .filter(pending_alerts::queued_at.le(noted_before))
        .filter(
            notification_preferences::last_alert_at
                .is_null()
                .or(notification_preferences::last_alert_at.le(told_before)),
        )
        .select(pending_alerts::customer_id)
        .distinct()
        .order(pending_alerts::customer_id)
        .limit(limit)
        .load::<i64>(conn)?
        .into_iter()
        .map(CustomerId)
        .collect())
}

/// The ids of a customer's waiting accesses, the oldest `limit`.
pub fn waiting_for(
    conn: &mut AnyConnection,
    customer: CustomerId,
    limit: i64,
) -> QueryResult<Vec<i64>> {
    pending_alerts::table
        .filter(pending_alerts::customer_id.eq(customer.0))
        .order(pending_alerts::access_event_id)
        .select(pending_alerts::access_event_id)
        .limit(limit)
        .load(conn)
}

/// Removes accesses from the waiting list (told of, or not worth telling).
pub fn forget_waiting(conn: &mut AnyConnection, access_event_ids: &[i64]) -> QueryResult<usize> {
    if access_event_ids.is_empty() {
        return Ok(0);
    }
    diesel::delete(
        pending_alerts::table.filter(pending_alerts::access_event_id.eq_any(access_event_ids)),
    )
    .execute(conn)
}

/// Everything waiting for a customer, when they turned alerts off.
pub fn forget_all_waiting(conn: &mut AnyConnection, customer: CustomerId) -> QueryResult<usize> {
    diesel::delete(pending_alerts::table.filter(pending_alerts::customer_id.eq(customer.0)))
        .execute(conn)
}

/// A chunk of customers walked for the weekly digest.
pub struct DigestChunk {
    /// Those who get the digest, with whether they want it in quiet weeks too.
    pub readers: Vec<(super::customer::CustomerRow, bool)>,
    /// The last customer of the chunk; `None`: no customers were left.
    pub last: Option<CustomerId>,
}

/// Customers (id order, after `after`, at most `limit`) who get the weekly digest; customers
/// without an email address are left out.
pub fn digest_readers(
    conn: &mut AnyConnection,
    after: CustomerId,
    limit: i64,
) -> QueryResult<DigestChunk> {
    let chunk: Vec<super::customer::CustomerRow> = customers::table
        .filter(customers::id.gt(after.0))
        .order(customers::id)
        .limit(limit)
        .select(super::customer::CustomerRow::as_select())
        .load(conn)?;
    let last = chunk.last().map(|c| CustomerId(c.id));
    let ids: Vec<i64> = chunk.iter().map(|c| c.id).collect();
    let chosen: HashMap<i64, (String, bool)> = notification_preferences::table
        .filter(notification_preferences::customer_id.eq_any(&ids))
        .select((
            notification_preferences::customer_id,
            notification_preferences::mode,
            notification_preferences::quiet_weeks,
        ))
        .load::<(i64, String, bool)>(conn)?
        .into_iter()
        .map(|(id, mode, quiet)| (id, (mode, quiet)))
        .collect();
    let readers = chunk
        .into_iter()
        .filter(|c| c.email.is_some())
        .filter_map(|c| {
            let (mode, quiet) = chosen
                .get(&c.id)
                .map(|(mode, quiet)| (NotificationMode::from_stored(mode), *quiet))
                .unwrap_or((NotificationMode::DEFAULT, false));
            (mode == NotificationMode::WeeklyDigest).then_some((c, quiet))
        })
        .collect();
    Ok(DigestChunk { readers, last })
}
