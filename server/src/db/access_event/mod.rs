//! The `access_events` table: one row per feed event, and the timeline's keyset query. Reads
//! are common to both backends; the duplicate check and the bulk insert are written per backend
//! (`postgres.rs`: key lookups in one statement and `COPY`; `sqlite.rs`: chunked `IN` lists and
//! prepared inserts).

#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "postgres")]
pub use postgres::EXISTING_HASHES_POSTGRES;

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::context::RecordShown;
use super::schema::access_events;
use super::{AnyConnection, MultiBackend};
use crate::domain::access_event::{AccessEvent, FeedText};
use crate::domain::{CustomerRef, TimelineFilter};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = access_events)]
pub struct AccessEventRow {
    pub id: i64,
    pub source: String,
    pub event_id: String,
    pub occurred_at: NaiveDateTime,
    pub received_at: NaiveDateTime,
    pub customer_ref: String,
    pub employee_id: String,
    pub role_code: String,
    pub team: Option<String>,
    pub office_country: Option<String>,
    pub data_category: String,
    pub action: String,
    pub reason_code: String,
    pub reason_text: Option<String>,
    pub ticket_ref: Option<String>,
    pub system: Option<String>,
    pub content_sha256: String,
    pub visible_from: Option<NaiveDateTime>,
    /// Position in the verifiable log (`crate::transparency`), in commit order from 0.
    pub leaf_index: i64,
    /// 1 or 2: which leaf format (`crate::transparency::leaf`) the log holds this event in.
    pub leaf_format: i16,
    /// The customer's chain (v2 leaves): the previous entry's leaf index and leaf hash.
    pub customer_previous_leaf: Option<i64>,
    pub customer_previous_hash: Option<Vec<u8>>,
    /// How many chained entries the customer has, this one included.
    pub customer_entry: Option<i64>,
}

/// What a customer is shown of an access: 11 of the row's 23 columns, all that the timeline, the
/// access report, explanations, notification lines and dispute pages show. The timeline and the
/// report select just these: a page decodes 51 rows on every request, and each column left out
/// is bytes less from the database and, for text, one allocation less per row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = access_events)]
pub struct ShownAccessRow {
    pub id: i64,
    pub source: String,
    pub occurred_at: NaiveDateTime,
    pub customer_ref: String,
    pub role_code: String,
    pub data_category: String,
    pub action: String,
    pub reason_code: String,
    pub reason_text: Option<String>,
    pub ticket_ref: Option<String>,
    pub system: Option<String>,
}

impl From<&AccessEventRow> for ShownAccessRow {
    fn from(row: &AccessEventRow) -> Self {
        Self {
            id: row.id,
            source: row.source.clone(),
            occurred_at: row.occurred_at,
            customer_ref: row.customer_ref.clone(),
            role_code: row.role_code.clone(),
            data_category: row.data_category.clone(),
            action: row.action.clone(),
            reason_code: row.reason_code.clone(),
            reason_text: row.reason_text.clone(),
            ticket_ref: row.ticket_ref.clone(),
            system: row.system.clone(),
        }
    }
}

/// Where a new leaf sits in its customer's chain: their how-manyth entry it is, and the leaf
/// index and leaf hash of the one before (none for the first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerLink {
    pub entry: i64,
    pub previous: Option<(i64, [u8; 32])>,
}

/// Computes the leaf hash of a new event at its place in the chain (`crate::transparency::leaf`
/// knows the format and holds the keys; this layer only keeps the chain).
pub type LeafHasher<'a> = &'a dyn Fn(&NewAccessEvent, &CustomerLink) -> [u8; 32];

/// The rows with their times as the database keeps them: to the microsecond (PostgreSQL rounds
/// finer digits, SQLite keeps them), a leap second as the microsecond before. A leaf's hash is
/// computed here from the row as given and later from the row as stored: they must agree.
fn as_stored(rows: &[NewAccessEvent]) -> std::borrow::Cow<'_, [NewAccessEvent]> {
    use chrono::Timelike;
    fn stored(at: NaiveDateTime) -> NaiveDateTime {
        let nanos = at.nanosecond().min(999_999_999) / 1_000 * 1_000;
        at.with_nanosecond(nanos).unwrap_or(at)
    }
    let exact = |row: &NewAccessEvent| {
        stored(row.occurred_at) == row.occurred_at && stored(row.received_at) == row.received_at
    };
    if rows.iter().all(exact) {
        return std::borrow::Cow::Borrowed(rows);
    }
    std::borrow::Cow::Owned(
        rows.iter()
            .map(|row| NewAccessEvent {
                occurred_at: stored(row.occurred_at),
                received_at: stored(row.received_at),
                ..row.clone()
            })
            .collect(),
    )
}

/// The leaf format every new row is logged in (`crate::transparency::leaf`).
pub const NEW_LEAF_FORMAT: i16 = 2;

/// The leaf format of the rows logged before v2 (`crate::transparency::leaf`).
pub const FIRST_LEAF_FORMAT: i16 = 1;

/// The ingest bench's switch between v2 leaves and the format-1 leaves they replaced (no
/// customer chain, no stored leaf hash; checkpoints hash those from the event), so that what v2
/// costs is measured on one binary, one database and one feed. Compiled only with the
/// `v1-leaf-comparison` feature, which no build that serves has.
#[cfg(feature = "v1-leaf-comparison")]
pub mod v1_leaf_comparison {
    use std::sync::atomic::{AtomicBool, Ordering};

    static WRITE_V1_LEAVES: AtomicBool = AtomicBool::new(false);

    /// From now on every process-wide insert writes format-1 leaves (`true`) or v2 leaves.
    pub fn write_v1_leaves(on: bool) {
        WRITE_V1_LEAVES.store(on, Ordering::SeqCst);
    }

    pub(super) fn is_on() -> bool {
        WRITE_V1_LEAVES.load(Ordering::SeqCst)
    }
}

/// Assigns leaf indices from `first_leaf` and chain links to `rows` in order, advancing `heads`;
/// each row's link comes with its own leaf hash.
#[cfg(feature = "postgres")]
fn link_rows(
    rows: &[NewAccessEvent],
    first_leaf: i64,
    heads: &mut HashMap<String, CustomerHead>,
    hasher: LeafHasher<'_>,
) -> Vec<(CustomerLink, [u8; 32])> {
    (first_leaf..)
        .zip(rows)
        .map(|(leaf_index, row)| {
            let link = next_link(heads.get(&row.customer_ref));
            let leaf_hash = hasher(row, &link);
            let head = CustomerHead {
                last_leaf: leaf_index,
                last_leaf_hash: leaf_hash,
                entries: link.entry,
            };
            heads.insert(row.customer_ref.clone(), head);
            (link, leaf_hash)
        })
        .collect()
}

pub(super) fn next_link(head: Option<&CustomerHead>) -> CustomerLink {
    match head {
        Some(head) => CustomerLink {
            entry: head.entries + 1,
            previous: Some((head.last_leaf, head.last_leaf_hash)),
        },
        None => CustomerLink {
            entry: 1,
            previous: None,
        },
    }
}

/// A customer's newest chained leaf: what their next leaf links to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomerHead {
    pub last_leaf: i64,
    pub last_leaf_hash: [u8; 32],
    pub entries: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = access_events)]
pub struct NewAccessEvent {
    pub source: String,
    pub event_id: String,
    pub occurred_at: NaiveDateTime,
    pub received_at: NaiveDateTime,
    pub customer_ref: String,
    pub employee_id: String,
    pub role_code: String,
    pub team: Option<String>,
    pub office_country: Option<String>,
    pub data_category: String,
    pub action: String,
    pub reason_code: String,
    pub reason_text: Option<String>,
    pub ticket_ref: Option<String>,
    pub system: Option<String>,
    pub content_sha256: String,
    pub visible_from: Option<NaiveDateTime>,
}

impl NewAccessEvent {
    /// The row of a checked event, received at `received_at` and shown from `visible_from` on
    /// (`None`: at once).
    pub fn from_event(
        event: &AccessEvent,
        received_at: NaiveDateTime,
        visible_from: Option<NaiveDateTime>,
    ) -> Self {
        let text = |t: &Option<FeedText>| t.as_ref().map(|t| t.as_str().to_owned());
        let mut row = NewAccessEvent {
            source: event.source.as_str().to_owned(),
            event_id: event.event_id.as_str().to_owned(),
            occurred_at: event.occurred_at,
            received_at,
            customer_ref: event.customer.as_str().to_owned(),
            employee_id: event.actor.employee_id.as_str().to_owned(),
            role_code: event.actor.role.as_str().to_owned(),
            team: text(&event.actor.team),
            office_country: event.actor.office_country.clone(),
            data_category: event.data_category.as_str().to_owned(),
            action: event.action.code().to_owned(),
            reason_code: event.reason.code.code().to_owned(),
            reason_text: text(&event.reason.text),
            ticket_ref: text(&event.reason.ticket),
            system: text(&event.system),
            content_sha256: String::new(),
            visible_from,
        };
        row.compute_content_hash();
        row
    }

    /// SHA-256 over the event's content fields in a fixed order, so a redelivery with other
    /// content can be told apart from a true duplicate.
    pub fn compute_content_hash(&mut self) {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        let fields: [&str; 14] = [
            &self.source,
            &self.event_id,
            &self.occurred_at.and_utc().to_rfc3339(),
            &self.customer_ref,
            &self.employee_id,
            &self.role_code,
            self.team.as_deref().unwrap_or(""),
            self.office_country.as_deref().unwrap_or(""),
            &self.data_category,
            &self.action,
            &self.reason_code,
            self.reason_text.as_deref().unwrap_or(""),
            self.ticket_ref.as_deref().unwrap_or(""),
            self.system.as_deref().unwrap_or(""),
        ];
        for field in fields {
            hasher.update((field.len() as u64).to_be_bytes());
            hasher.update(field.as_bytes());
        }
        self.content_sha256 = hex::encode(hasher.finalize());
    }
}

/// How many months before the month the page ends in (see [`recent_months_start`]) the first of
/// [`timeline_page`]'s two reads goes back.
const RECENT_MONTHS: u32 = 2;

/// Which of a customer's events one read of [`timeline_page`] looks at, by `occurred_at`.
#[derive(Clone, Copy)]
enum Span {
    /// All of them.
    Whole,
    /// From this instant on: the recent months.
    From(NaiveDateTime),
    /// Before this instant: the rest.
    Before(NaiveDateTime),
}

/// One page of a customer's visible events, newest first, plus one extra row that tells
/// whether an older page exists. Served by the (customer_ref, occurred_at, id) index.
///
/// Read in two steps: the recent months first (from [`recent_months_start`]), and the older
/// events only when those fall short of a page. On PostgreSQL a read of the whole history costs
/// an index descent and a heap visit in every monthly partition (a Merge Append over all of
/// them: the default partition keeps them from being read in order); bounded below, the
/// prepared statement prunes the older partitions when it starts, and the SQL a customer with a
/// busy history opens their timeline with answers 1.7 times as often (pgbench, 8 clients, 10 M
/// events on 28 partitions). A customer with fewer entries than a page in those months pays one more
/// round trip; the two reads together visit each monthly partition once, as the single read did
/// (the default partition, which has no bounds, twice).
pub fn timeline_page(
    conn: &mut AnyConnection,
    customer: &CustomerRef,
    filter: &TimelineFilter,
    now: NaiveDateTime,
) -> QueryResult<Vec<ShownAccessRow>> {
    in_two_reads(filter, now, |span, limit| {
        timeline_rows(conn, customer, filter, now, span, limit)
    })
}

/// An access as the timeline shows it, with its judgement: the state and the business record
/// that explains it, if it was judged and a record explains it. The record may since have moved
/// to another customer: only `explain::text` decides what of it the customer reads.
#[derive(Debug, Clone)]
pub struct ExplainedAccessRow {
    pub access: ShownAccessRow,
    pub state: Option<String>,
    pub record: Option<RecordShown>,
}

/// [`timeline_page`] with each access's judgement and explaining record read in the same
/// statement (an index probe per row for each), instead of a second statement for the page's
/// ids: that one took PostgreSQL longer than the keyset read itself (0.24 ms against 0.12 ms at
/// the median, 10 M events, 8 clients), hashing every business record for 50 ids.
pub fn explained_timeline_page(
    conn: &mut AnyConnection,
    customer: &CustomerRef,
    filter: &TimelineFilter,
    now: NaiveDateTime,
) -> QueryResult<Vec<ExplainedAccessRow>> {
    in_two_reads(filter, now, |span, limit| {
        explained_timeline_rows(conn, customer, filter, now, span, limit)
    })
}

/// The two reads of [`timeline_page`]: `read(span, limit)` reads at most `limit` rows of `span`.
fn in_two_reads<Row>(
    filter: &TimelineFilter,
    now: NaiveDateTime,
    mut read: impl FnMut(Span, i64) -> QueryResult<Vec<Row>>,
) -> QueryResult<Vec<Row>> {
    let wanted = i64::from(filter.limit) + 1;
    let Some(recent_from) = recent_months_start(filter, now) else {
        return read(Span::Whole, wanted);
    };
    let mut rows = read(Span::From(recent_from), wanted)?;
    let missing = wanted - rows.len() as i64;
    if missing > 0 {
        rows.extend(read(Span::Before(recent_from), missing)?);
    }
    Ok(rows)
}

/// Where the first read of [`timeline_page`] begins: the start of the month [`RECENT_MONTHS`]
/// before the month of the earliest of now, the cursor and the filter's end. Any start gives the
/// same page; this one makes the first read enough for a customer with a busy recent history.
/// `None` when the filter's own start is no earlier: one read covers it.
fn recent_months_start(filter: &TimelineFilter, now: NaiveDateTime) -> Option<NaiveDateTime> {
    let newest = [filter.cursor.map(|c| c.occurred_at), filter.occurred_before]
        .into_iter()
        .flatten()
        .fold(now, NaiveDateTime::min);
    let start = crate::db::partition::month_of(newest)
        .checked_sub_months(chrono::Months::new(RECENT_MONTHS))?
        .and_hms_opt(0, 0, 0)?;
    match filter.occurred_from {
        Some(from) if from >= start => None,
        _ => Some(start),
    }
}

/// Narrows a boxed query over `access_events` (joined or not) to the customer's visible events
/// in `span` that pass `filter`, newest first, at most `limit`: the one place the timeline's
/// filters are written, for [`timeline_rows`] and [`explained_timeline_rows`] alike (their
/// query types differ, so a function would need diesel's bounds spelled out for each).
/// `|query, states| by_explanation` keeps the events whose judgement is in `states`, an event
/// not judged yet counting as "unexplained".
macro_rules! timeline_read {
    (
        $query:expr, $customer:expr, $filter:expr, $now:expr, $span:expr, $limit:expr,
        |$narrowed:ident, $states:ident| $by_explanation:expr
    ) => {{
        use access_events::dsl as ae;
        let (filter, now): (&TimelineFilter, NaiveDateTime) = ($filter, $now);
        let mut query = $query
            .filter(ae::customer_ref.eq($customer.as_str()))
            .filter(ae::visible_from.is_null().or(ae::visible_from.le(now)));
        query = match $span {
            Span::Whole => query,
            Span::From(start) => query.filter(ae::occurred_at.ge(start)),
            Span::Before(end) => query.filter(ae::occurred_at.lt(end)),
        };

        if let Some(from) = filter.occurred_from {
            query = query.filter(ae::occurred_at.ge(from));
        }
        if let Some(before) = filter.occurred_before {
            query = query.filter(ae::occurred_at.lt(before));
        }
        if let Some(category) = &filter.category {
            query = query.filter(ae::data_category.eq(category.clone()));
        }
        if let Some(role) = &filter.role {
            query = query.filter(ae::role_code.eq(role.clone()));
        }
        if let Some(reason) = &filter.reason {
            query = query.filter(ae::reason_code.eq(reason.clone()));
        }
        if let Some(explanation) = filter.explanation {
            let ($narrowed, $states) = (query, explanation.states());
            query = $by_explanation;
        }
        if let Some(cursor) = filter.cursor {
            // (occurred_at, id) < cursor, written so both backends can seek the index: the first
            // term bounds the range, the second breaks ties within the same instant.
            query = query.filter(ae::occurred_at.le(cursor.occurred_at)).filter(
                ae::occurred_at
                    .lt(cursor.occurred_at)
                    .or(ae::id.lt(cursor.id.0)),
            );
        }
        query
            .order((ae::occurred_at.desc(), ae::id.desc()))
            .limit($limit)
    }};
}

/// At most `limit` of the customer's visible events in `span` that pass `filter`, newest first.
fn timeline_rows(
    conn: &mut AnyConnection,
    customer: &CustomerRef,
    filter: &TimelineFilter,
    now: NaiveDateTime,
    span: Span,
    limit: i64,
) -> QueryResult<Vec<ShownAccessRow>> {
    let query = access_events::table
        .select(ShownAccessRow::as_select())
        .into_boxed::<MultiBackend>();
    timeline_read!(
        query,
        customer,
        filter,
        now,
        span,
        limit,
        |query, states| {
            use super::schema::access_explanations as ax;
            use diesel::dsl::{exists, not};
            let in_states = exists(
                ax::table
                    .filter(ax::access_event_id.eq(access_events::id))
                    .filter(ax::state.eq_any(states.clone())),
            );
            let unjudged = not(exists(
                ax::table.filter(ax::access_event_id.eq(access_events::id)),
            ));
            if states.contains(&"unexplained") {
                query.filter(in_states.or(unjudged))
            } else {
                query.filter(in_states)
            }
        }
    )
    .load(conn)
}

/// [`timeline_rows`] with each event's judgement and explaining record.
fn explained_timeline_rows(
    conn: &mut AnyConnection,
    customer: &CustomerRef,
    filter: &TimelineFilter,
    now: NaiveDateTime,
    span: Span,
    limit: i64,
) -> QueryResult<Vec<ExplainedAccessRow>> {
    use super::schema::{access_explanations as ax, context_records as cr};
    let query = access_events::table
        .left_join(ax::table.on(ax::access_event_id.eq(access_events::id)))
        // Joined by its id alone: with the customer's reference in the condition too, PostgreSQL
        // read all of the customer's records for every page and compared them with each entry.
        // A record moved to another customer is left out where it is shown (`explain::text`).
        .left_join(cr::table.on(ax::context_id.eq(cr::id.nullable())))
        .select((
            ShownAccessRow::as_select(),
            ax::state.nullable(),
            Option::<RecordShown>::as_select(),
        ))
        .into_boxed::<MultiBackend>();
    // The judgement is joined already: no subquery per row (and a second `access_explanations`
    // in the FROM clause is one diesel cannot tell apart).
    let rows: Vec<(ShownAccessRow, Option<String>, Option<RecordShown>)> = timeline_read!(
        query,
        customer,
        filter,
        now,
        span,
        limit,
        |query, states| {
            let in_states = ax::state.nullable().eq_any(states.clone());
            if states.contains(&"unexplained") {
                query.filter(in_states.or(ax::access_event_id.nullable().is_null()))
            } else {
                query.filter(in_states)
            }
        }
    )
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(access, state, record)| ExplainedAccessRow {
            access,
            state,
            record,
        })
        .collect())
}

/// A customer's visible events in `[start, end)`, oldest first: the body of an access report.
/// Served by the (customer_ref, occurred_at, id) index.
pub fn for_report(
    conn: &mut AnyConnection,
    customer: &CustomerRef,
    start: NaiveDateTime,
    end: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<Vec<ShownAccessRow>> {
    use access_events::dsl as ae;
    ae::access_events
        .select(ShownAccessRow::as_select())
        .filter(ae::customer_ref.eq(customer.as_str()))
        .filter(ae::occurred_at.ge(start))
        .filter(ae::occurred_at.lt(end))
        .filter(ae::visible_from.is_null().or(ae::visible_from.le(now)))
        .order((ae::occurred_at.asc(), ae::id.asc()))
        .load(conn)
}

/// How many events [`for_report`] would return.
pub fn count_for_report(
    conn: &mut AnyConnection,
    customer: &CustomerRef,
    start: NaiveDateTime,
    end: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    use access_events::dsl as ae;
    ae::access_events
        .filter(ae::customer_ref.eq(customer.as_str()))
        .filter(ae::occurred_at.ge(start))
        .filter(ae::occurred_at.lt(end))
        .filter(ae::visible_from.is_null().or(ae::visible_from.le(now)))
        .count()
        .get_result(conn)
}

/// One group of the statistics: (role, category, reason, accesses, accesses with a ticket).
pub type StatisticsGroup = (String, String, String, i64, i64);

/// Accesses in `[start, end)` counted by role × category × reason, in one pass.
pub fn counts_for_statistics(
    conn: &mut AnyConnection,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> QueryResult<Vec<StatisticsGroup>> {
    use access_events::dsl as ae;
    use diesel::dsl::{count, count_star};
    ae::access_events
        .filter(ae::occurred_at.ge(start))
        .filter(ae::occurred_at.lt(end))
        .group_by((ae::role_code, ae::data_category, ae::reason_code))
        .select((
            ae::role_code,
            ae::data_category,
            ae::reason_code,
            count_star(),
            count(ae::ticket_ref),
        ))
        .load(conn)
}

pub fn count(conn: &mut AnyConnection) -> QueryResult<i64> {
    access_events::table.count().get_result(conn)
}

/// The stored content hash of each of these (source, event id) keys that exists.
pub fn existing_hashes(
    conn: &mut AnyConnection,
    keys: &[(String, String)],
) -> QueryResult<HashMap<(String, String), String>> {
    match conn {
        #[cfg(feature = "postgres")]
        AnyConnection::Postgresql(pg) => postgres::existing_hashes(pg, keys),
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(c) => sqlite::existing_hashes(c, keys),
    }
}

/// Inserts rows whose key is not stored yet, inside the caller's transaction; a row whose key
/// exists (e.g. it lost a race with a concurrent writer) is skipped and left to the caller to
/// classify. Returns how many were stored. Each stored row takes the next leaf index of the
/// verifiable log, so the log has no gaps and follows commit order, and the next link of its
/// customer's chain (`hasher` gives each new leaf's hash, for the next link). Bulk insert and
/// upsert are where the backends differ.
pub fn insert_new(
    conn: &mut AnyConnection,
    rows: &[NewAccessEvent],
    hasher: LeafHasher<'_>,
) -> QueryResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    let rows = as_stored(rows);
    let rows = rows.as_ref();
    conn.transaction(|conn| {
        let first_leaf = super::log::lock_next_leaf(conn)?;
        #[cfg(feature = "v1-leaf-comparison")]
        if v1_leaf_comparison::is_on() {
            let inserted = match conn {
                AnyConnection::Postgresql(pg) => {
                    postgres::insert_v1_from_leaf(pg, rows, first_leaf)?
                }
                #[cfg(feature = "sqlite")]
                AnyConnection::Sqlite(_) => {
                    panic!("the v1 leaf comparison runs on PostgreSQL only")
                }
            };
            super::access_counts::add_leaves(conn, first_leaf, first_leaf + inserted as i64)?;
            super::log::set_next_leaf(conn, first_leaf + inserted as i64)?;
            return Ok(inserted);
        }
        let mut customers: Vec<&str> = rows.iter().map(|row| row.customer_ref.as_str()).collect();
        customers.sort_unstable();
        customers.dedup();
        let mut heads = super::log::customer_heads(conn, &customers)?;
        let inserted = match conn {
            #[cfg(feature = "postgres")]
            AnyConnection::Postgresql(pg) => {
                postgres::insert_from_leaf(pg, rows, first_leaf, &mut heads, hasher)?
            }
            #[cfg(feature = "sqlite")]
            AnyConnection::Sqlite(c) => {
                sqlite::insert_from_leaf(c, rows, first_leaf, &mut heads, hasher)?
            }
        };
        super::access_counts::add_leaves(conn, first_leaf, first_leaf + inserted as i64)?;
        super::log::set_next_leaf(conn, first_leaf + inserted as i64)?;
        Ok(inserted)
    })
}

/// The events with these row ids (any customer: callers check ownership).
pub fn find_many(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<Vec<AccessEventRow>> {
    access_events::table
        .filter(access_events::id.eq_any(ids))
        .order((access_events::occurred_at.desc(), access_events::id.desc()))
        .select(AccessEventRow::as_select())
        .load(conn)
}

/// Whom an employee looked at, and when, in `[from, to)`: the case view's context figures.
/// The time of an employee's latest access up to `now`.
pub fn latest_of_employee(
    conn: &mut AnyConnection,
    employee_id: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    access_events::table
        .filter(access_events::employee_id.eq(employee_id))
        .filter(access_events::occurred_at.le(now))
        .select(diesel::dsl::max(access_events::occurred_at))
        .first(conn)
}

pub fn employee_window(
    conn: &mut AnyConnection,
    employee_id: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<(String, NaiveDateTime)>> {
    access_events::table
        .filter(access_events::employee_id.eq(employee_id))
        .filter(access_events::occurred_at.ge(from))
        .filter(access_events::occurred_at.lt(to))
        .select((access_events::customer_ref, access_events::occurred_at))
        .load(conn)
}

/// The customer's newest leaf: what a proof of their whole timeline must be witnessed up to.
pub fn newest_leaf_of_customer(
    conn: &mut AnyConnection,
    customer: &CustomerRef,
) -> QueryResult<Option<i64>> {
    use access_events::dsl as ae;
    ae::access_events
        .filter(ae::customer_ref.eq(customer.as_str()))
        .select(diesel::dsl::max(ae::leaf_index))
        .first(conn)
}

/// Every event of the customer, held back or not, in log order: what the whole-timeline proof
/// bundle is built from.
pub fn all_of_customer_in_log_order(
    conn: &mut AnyConnection,
    customer: &CustomerRef,
) -> QueryResult<Vec<AccessEventRow>> {
    use access_events::dsl as ae;
    ae::access_events
        .select(AccessEventRow::as_select())
        .filter(ae::customer_ref.eq(customer.as_str()))
        .order(ae::leaf_index.asc())
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccessEventId, TimelineCursor};

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    fn cursor_at(text: &str) -> Option<TimelineCursor> {
        Some(TimelineCursor {
            occurred_at: at(text),
            id: AccessEventId(7),
        })
    }

    #[test]
    fn the_first_read_starts_two_months_before_the_month_the_page_ends_in() {
        let now = at("2026-01-15 10:00");
        let newest = TimelineFilter::default();
        assert_eq!(
            recent_months_start(&newest, now),
            Some(at("2025-11-01 00:00"))
        );
        let older = TimelineFilter {
            cursor: cursor_at("2025-06-30 23:59"),
            ..TimelineFilter::default()
        };
        assert_eq!(
            recent_months_start(&older, now),
            Some(at("2025-04-01 00:00"))
        );
        // A cursor on an entry dated after now (a clock ahead) starts no later than a first page.
        let ahead = TimelineFilter {
            cursor: cursor_at("2026-05-02 08:00"),
            ..TimelineFilter::default()
        };
        assert_eq!(
            recent_months_start(&ahead, now),
            Some(at("2025-11-01 00:00"))
        );
        let until_march = TimelineFilter {
            occurred_before: Some(at("2025-03-01 00:00")),
            ..TimelineFilter::default()
        };
        assert_eq!(
            recent_months_start(&until_march, now),
            Some(at("2025-01-01 00:00"))
        );
        let from_december = TimelineFilter {
            occurred_from: Some(at("2025-12-01 00:00")),
            ..TimelineFilter::default()
        };
        assert_eq!(recent_months_start(&from_december, now), None);
        let from_october = TimelineFilter {
            occurred_from: Some(at("2025-10-31 23:00")),
            ..TimelineFilter::default()
        };
        assert_eq!(
            recent_months_start(&from_october, now),
            Some(at("2025-11-01 00:00"))
        );
    }
}
