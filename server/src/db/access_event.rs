//! The `access_events` table: one row per feed event, and the timeline's keyset query.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::access_events;
use super::{AnyConnection, MultiBackend};
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

/// One page of a customer's visible events, newest first, plus one extra row that tells
/// whether an older page exists. Served by the (customer_ref, occurred_at, id) index.
pub fn timeline_page(
    conn: &mut AnyConnection,
    customer: &CustomerRef,
    filter: &TimelineFilter,
    now: NaiveDateTime,
) -> QueryResult<Vec<AccessEventRow>> {
    use access_events::dsl as ae;

    let mut query = ae::access_events
        .select(AccessEventRow::as_select())
        .filter(ae::customer_ref.eq(customer.as_str()))
        .filter(ae::visible_from.is_null().or(ae::visible_from.le(now)))
        .into_boxed::<MultiBackend>();

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
        .limit(i64::from(filter.limit) + 1)
        .load(conn)
}

/// A customer's visible events in `[start, end)`, oldest first: the body of an access report.
/// Served by the (customer_ref, occurred_at, id) index.
pub fn for_report(
    conn: &mut AnyConnection,
    customer: &CustomerRef,
    start: NaiveDateTime,
    end: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<Vec<AccessEventRow>> {
    use access_events::dsl as ae;
    ae::access_events
        .select(AccessEventRow::as_select())
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

/// [`existing_hashes`] on PostgreSQL, for the keys as two arrays. One lookup in the
/// (source, event_id) index per key, whatever plan PostgreSQL caches and however stale its
/// statistics: the `LIMIT 1` keeps the lateral subquery from being flattened into a join, which
/// a planner that thinks the table is small (a fresh database filling fast, not analysed yet)
/// makes a hash join over every row, slower with every row stored. (Two `= ANY` lists did the
/// same.)
pub const EXISTING_HASHES_POSTGRES: &str = "SELECT k.source, k.event_id, e.content_sha256 \
     FROM unnest($1::text[], $2::text[]) AS k(source, event_id) \
     CROSS JOIN LATERAL (SELECT content_sha256 FROM access_events \
         WHERE source = k.source AND event_id = k.event_id LIMIT 1) AS e";

/// The stored content hash of each of these (source, event id) keys that exists.
pub fn existing_hashes(
    conn: &mut AnyConnection,
    keys: &[(String, String)],
) -> QueryResult<std::collections::HashMap<(String, String), String>> {
    use access_events::dsl as ae;
    let mut found = std::collections::HashMap::new();
    #[cfg(feature = "postgres")]
    #[allow(irrefutable_let_patterns)] // in a PostgreSQL-only build there is no other backend
    if let AnyConnection::Postgresql(pg) = conn {
        #[derive(QueryableByName)]
        struct Stored {
            #[diesel(sql_type = diesel::sql_types::Text)]
            source: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            event_id: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            content_sha256: String,
        }
        use diesel::sql_types::{Array, Text};
        let (sources, event_ids): (Vec<&str>, Vec<&str>) = keys
            .iter()
            .map(|(source, id)| (source.as_str(), id.as_str()))
            .unzip();
        let rows: Vec<Stored> = diesel::sql_query(EXISTING_HASHES_POSTGRES)
            .bind::<Array<Text>, _>(sources)
            .bind::<Array<Text>, _>(event_ids)
            .load(pg)?;
        for row in rows {
            found.insert((row.source, row.event_id), row.content_sha256);
        }
        return Ok(found);
    }
    // Chunks keep the IN lists inside SQLite's parameter limit.
    for chunk in keys.chunks(400) {
        let wanted: std::collections::HashSet<&(String, String)> = chunk.iter().collect();
        let event_ids: Vec<&str> = chunk.iter().map(|(_, id)| id.as_str()).collect();
        let mut sources: Vec<&str> = chunk.iter().map(|(source, _)| source.as_str()).collect();
        sources.sort_unstable();
        sources.dedup();
        // Both columns, source first: the (source, event_id) unique index answers this.
        let rows: Vec<(String, String, String)> = ae::access_events
            .filter(ae::source.eq_any(sources))
            .filter(ae::event_id.eq_any(event_ids))
            .select((ae::source, ae::event_id, ae::content_sha256))
            .load(conn)?;
        for (source, event_id, hash) in rows {
            let key = (source, event_id);
            if wanted.contains(&key) {
                found.insert(key, hash);
            }
        }
    }
    Ok(found)
}

/// Inserts rows whose key is not stored yet, inside the caller's transaction; a row whose key
/// exists (e.g. it lost a race with a concurrent writer) is skipped and left to the caller to
/// classify. Returns how many were stored. Each stored row takes the next leaf index of the
/// verifiable log, so the log has no gaps and follows commit order. Bulk insert and upsert are
/// where the backends differ.
pub fn insert_new(conn: &mut AnyConnection, rows: &[NewAccessEvent]) -> QueryResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    conn.transaction(|conn| {
        let first_leaf = super::log::lock_next_leaf(conn)?;
        let inserted = insert_from_leaf(conn, rows, first_leaf)?;
        super::log::set_next_leaf(conn, first_leaf + inserted as i64)?;
        Ok(inserted)
    })
}

fn insert_from_leaf(
    conn: &mut AnyConnection,
    rows: &[NewAccessEvent],
    first_leaf: i64,
) -> QueryResult<usize> {
    match conn {
        // diesel has no multi-row upsert for SQLite; single rows in one transaction are fast there.
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(c) => {
            let mut next_leaf = first_leaf;
            for row in rows {
                next_leaf += diesel::insert_into(access_events::table)
                    .values((row, access_events::leaf_index.eq(next_leaf)))
                    .on_conflict((access_events::source, access_events::event_id))
                    .do_nothing()
                    .execute(c)? as i64;
            }
            Ok((next_leaf - first_leaf) as usize)
        }
        #[cfg(feature = "postgres")]
        AnyConnection::Postgresql(_) => copy_new_rows(conn, rows, first_leaf),
    }
}

/// Callers have checked that these keys are new, so COPY takes them fastest. A writer that
/// committed before we took the leaf lock may have stored some meanwhile: then the savepoint
/// rolls back, and we copy the rest.
#[cfg(feature = "postgres")]
#[allow(irrefutable_let_patterns)] // in a PostgreSQL-only build there is no other backend
fn copy_new_rows(
    conn: &mut AnyConnection,
    rows: &[NewAccessEvent],
    first_leaf: i64,
) -> QueryResult<usize> {
    use diesel::result::{DatabaseErrorKind, Error};
    let AnyConnection::Postgresql(c) = conn else {
        unreachable!("only called for PostgreSQL")
    };
    match c.transaction(|c| copy_rows(c, rows, first_leaf)) {
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {}
        settled => return settled,
    }
    // Holding the leaf lock, no other writer can add keys now: what is not stored is new.
    let keys: Vec<(String, String)> = rows
        .iter()
        .map(|row| (row.source.clone(), row.event_id.clone()))
        .collect();
    let stored = existing_hashes(conn, &keys)?;
    let fresh: Vec<NewAccessEvent> = rows
        .iter()
        .filter(|row| !stored.contains_key(&(row.source.clone(), row.event_id.clone())))
        .cloned()
        .collect();
    let AnyConnection::Postgresql(c) = conn else {
        unreachable!("only called for PostgreSQL")
    };
    copy_rows(c, &fresh, first_leaf)
}

/// `COPY access_events (…) FROM STDIN (FORMAT csv)`: every column but the id; leaf indices
/// from `first_leaf` on.
#[cfg(feature = "postgres")]
fn copy_rows(
    conn: &mut diesel::PgConnection,
    rows: &[NewAccessEvent],
    first_leaf: i64,
) -> QueryResult<usize> {
    use access_events::dsl as ae;
    if rows.is_empty() {
        return Ok(0);
    }
    diesel::copy_from(access_events::table)
        .from_raw_data(
            (
                ae::source,
                ae::event_id,
                ae::occurred_at,
                ae::received_at,
                ae::customer_ref,
                ae::employee_id,
                ae::role_code,
                ae::team,
                ae::office_country,
                ae::data_category,
                ae::action,
                ae::reason_code,
                ae::reason_text,
                ae::ticket_ref,
                ae::system,
                ae::content_sha256,
                ae::visible_from,
                ae::leaf_index,
            ),
            |out| {
                let mut line = String::with_capacity(512);
                for (leaf_index, row) in (first_leaf..).zip(rows) {
                    line.clear();
                    csv_row(&mut line, row, leaf_index);
                    out.write_all(line.as_bytes())
                        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
                }
                QueryResult::Ok(())
            },
        )
        .with_format(diesel::pg::CopyFormat::Csv)
        .execute(conn)
}

/// One CSV line in the column order of [`copy_rows`]: text quoted, NULL as an empty field.
#[cfg(feature = "postgres")]
fn csv_row(line: &mut String, row: &NewAccessEvent, leaf_index: i64) {
    use std::fmt::Write;
    fn text(line: &mut String, value: &str) {
        line.push('"');
        for c in value.chars() {
            if c == '"' {
                line.push('"');
            }
            line.push(c);
        }
        line.push('"');
    }
    let optional = |line: &mut String, value: &Option<String>| {
        if let Some(value) = value {
            text(line, value);
        }
    };
    text(line, &row.source);
    line.push(',');
    text(line, &row.event_id);
    let _ = write!(line, ",{},{},", row.occurred_at, row.received_at);
    text(line, &row.customer_ref);
    line.push(',');
    text(line, &row.employee_id);
    line.push(',');
    text(line, &row.role_code);
    line.push(',');
    optional(line, &row.team);
    line.push(',');
    optional(line, &row.office_country);
    line.push(',');
    text(line, &row.data_category);
    line.push(',');
    text(line, &row.action);
    line.push(',');
    text(line, &row.reason_code);
    line.push(',');
    optional(line, &row.reason_text);
    line.push(',');
    optional(line, &row.ticket_ref);
    line.push(',');
    optional(line, &row.system);
    line.push(',');
    text(line, &row.content_sha256);
    line.push(',');
    if let Some(visible_from) = row.visible_from {
        let _ = write!(line, "{visible_from}");
    }
    let _ = writeln!(line, ",{leaf_index}");
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
