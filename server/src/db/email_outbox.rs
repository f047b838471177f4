//! The durable email outbox (`email_outbox`): rendered messages waiting to be sent, written in
//! the transaction that decided them, marked sent once.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::email_outbox;
use super::AnyConnection;
use crate::domain::CustomerId;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = email_outbox)]
pub struct OutboxRow {
    pub id: i64,
    pub customer_id: Option<i64>,
    pub kind: String,
    pub recipient: String,
    pub message: String,
    pub queued_at: NaiveDateTime,
    pub attempts: i32,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = email_outbox)]
pub struct NewOutboxEmail {
    pub customer_id: Option<i64>,
    /// `alert` or `digest`.
    pub kind: String,
    /// Makes an email that must exist once (a week's digest) one row however often it is
    /// decided.
    pub dedupe_key: Option<String>,
    pub recipient: String,
    /// The whole RFC 5322 message.
    pub message: String,
    pub queued_at: NaiveDateTime,
    pub next_attempt_at: NaiveDateTime,
}

/// Queues an email; `false` when one with its `dedupe_key` is queued already.
pub fn queue(conn: &mut AnyConnection, email: &NewOutboxEmail) -> QueryResult<bool> {
    let inserted = crate::with_backend!(conn, |c| {
        diesel::insert_into(email_outbox::table)
            .values(email)
            .on_conflict_do_nothing()
            .execute(c)
    })?;
    Ok(inserted == 1)
}

/// Emails due to be (re)sent at `now`, oldest first.
pub fn due(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    email_outbox::table
        .filter(email_outbox::sent_at.is_null())
        .filter(email_outbox::failed_at.is_null())
        .filter(email_outbox::cancelled_at.is_null())
        .filter(email_outbox::next_attempt_at.le(now))
        .order((email_outbox::next_attempt_at, email_outbox::id))
        .limit(limit)
        .select(OutboxRow::as_select())
        .load(conn)
}

/// Claims a due email for one sender until `until`: `false` when another sender claimed it (or
/// it was sent or cancelled) since it was read. A sender killed mid-delivery leaves the claim
/// to run out, after which the email is due again.
pub fn claim(
    conn: &mut AnyConnection,
    id: i64,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    let claimed = diesel::update(
        email_outbox::table
            .find(id)
            .filter(email_outbox::sent_at.is_null())
            .filter(email_outbox::failed_at.is_null())
            .filter(email_outbox::cancelled_at.is_null())
            .filter(email_outbox::next_attempt_at.le(now)),
    )
    .set(email_outbox::next_attempt_at.eq(until))
    .execute(conn)?;
    Ok(claimed == 1)
}

/// Marks an email sent; `false` when it was sent (or cancelled) already.
pub fn mark_sent(conn: &mut AnyConnection, id: i64, at: NaiveDateTime) -> QueryResult<bool> {
    let changed = diesel::update(
        email_outbox::table
            .find(id)
            .filter(email_outbox::sent_at.is_null()),
    )
    .set(email_outbox::sent_at.eq(at))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Notes a failed attempt: tried again at `retry_at`, or given up on when that is `None`.
pub fn mark_failed_attempt(
    conn: &mut AnyConnection,
    id: i64,
    error: &str,
    retry_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let row = email_outbox::table.find(id);
    match retry_at {
        Some(at) => diesel::update(row)
            .set((
                email_outbox::attempts.eq(email_outbox::attempts + 1),
                email_outbox::last_error.eq(error),
                email_outbox::next_attempt_at.eq(at),
            ))
            .execute(conn),
        None => diesel::update(row)
            .set((
                email_outbox::attempts.eq(email_outbox::attempts + 1),
                email_outbox::last_error.eq(error),
                email_outbox::failed_at.eq(now),
            ))
            .execute(conn),
    }
}

/// Empties the message and the address of every email sent, given up on or cancelled before
/// `before`: what it said is the customer's timeline's to keep, not the outbox's. The row stays
/// for the figures.
pub fn forget_old(conn: &mut AnyConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        email_outbox::table
            .filter(email_outbox::message.ne(""))
            .filter(
                email_outbox::sent_at
                    .lt(before)
                    .or(email_outbox::failed_at.lt(before))
                    .or(email_outbox::cancelled_at.lt(before)),
            ),
    )
    .set((email_outbox::message.eq(""), email_outbox::recipient.eq("")))
    .execute(conn)
}

/// Cancels every notification to the customer not sent yet (they turned notifications off).
pub fn cancel_unsent(
    conn: &mut AnyConnection,
    customer: CustomerId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        email_outbox::table
            .filter(email_outbox::customer_id.eq(customer.0))
            .filter(email_outbox::sent_at.is_null())
            .filter(email_outbox::failed_at.is_null())
            .filter(email_outbox::cancelled_at.is_null()),
    )
    .set(email_outbox::cancelled_at.eq(now))
    .execute(conn)
}

/// One day of the outbox, for the admin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayFigures {
    pub queued: i64,
    pub sent: i64,
    pub failed: i64,
}

/// The outbox at a glance.
pub struct Figures {
    /// Per day (UTC): emails queued, sent and given up on.
    pub days: BTreeMap<NaiveDate, DayFigures>,
    /// When the oldest email still waiting was queued.
    pub oldest_unsent: Option<NaiveDateTime>,
}

/// The outbox's [`Figures`] since `since`.
pub fn figures_since(conn: &mut AnyConnection, since: NaiveDateTime) -> QueryResult<Figures> {
    let mut days: BTreeMap<NaiveDate, DayFigures> = BTreeMap::new();
    // Three narrow reads of the timestamps; grouping by day in SQL differs per backend.
    let queued: Vec<NaiveDateTime> = email_outbox::table
        .filter(email_outbox::queued_at.ge(since))
        .select(email_outbox::queued_at)
        .load(conn)?;
    for at in queued {
        days.entry(at.date()).or_default().queued += 1;
    }
    let sent: Vec<Option<NaiveDateTime>> = email_outbox::table
        .filter(email_outbox::sent_at.ge(since))
        .select(email_outbox::sent_at)
        .load(conn)?;
    for at in sent.into_iter().flatten() {
        days.entry(at.date()).or_default().sent += 1;
    }
    let failed: Vec<Option<NaiveDateTime>> = email_outbox::table
        .filter(email_outbox::failed_at.ge(since))
        .select(email_outbox::failed_at)
        .load(conn)?;
    for at in failed.into_iter().flatten() {
        days.entry(at.date()).or_default().failed += 1;
    }
    let oldest_unsent = email_outbox::table
        .filter(email_outbox::sent_at.is_null())
        .filter(email_outbox::failed_at.is_null())
        .filter(email_outbox::cancelled_at.is_null())
        .select(diesel::dsl::min(email_outbox::queued_at))
        .first(conn)?;
    Ok(Figures {
        days,
        oldest_unsent,
    })
}
