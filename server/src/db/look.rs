//! The stored looks the judge's rules compare a batch with: an employee's accesses in given
//! spans (the `(employee_id, occurred_at)` index) and a customer's (the timeline's index), each
//! with its explanation state.
//!
//! On PostgreSQL each kind is one statement over all the batch's spans, as the recheck's windows
//! are (`explanation::in_windows`): a statement per span was planned afresh over every monthly
//! partition, and a batch judged again, its accesses scattered over weeks, ran hundreds of them
//! while the feed waited for the judge. SQLite plans in the process, cheaply, and keeps a
//! statement per span.

use chrono::NaiveDateTime;
use diesel::prelude::*;

#[cfg(feature = "sqlite")]
use super::schema::{access_events, access_explanations};
use super::AnyConnection;

/// A stored access as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, QueryableByName)]
pub struct StoredLook {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub employee_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub customer_ref: String,
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    pub occurred_at: NaiveDateTime,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub role_code: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub state: Option<String>,
}

/// Whose accesses (an employee's or a customer's), in `[from, to)`: unlike the recheck's
/// windows, a span does not hold its end.
pub struct Span<'a> {
    pub whose: &'a str,
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
}

/// The employees' accesses in their spans.
pub fn of_employees(conn: &mut AnyConnection, spans: &[Span]) -> QueryResult<Vec<StoredLook>> {
    match conn {
        #[cfg(feature = "postgres")]
        AnyConnection::Postgresql(pg) => in_spans_postgres(pg, OF_EMPLOYEES_POSTGRES, spans, None),
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(c) => spans
            .iter()
            .map(|span| {
                looks()
                    .filter(access_events::employee_id.eq(span.whose))
                    .filter(access_events::occurred_at.ge(span.from))
                    .filter(access_events::occurred_at.lt(span.to))
                    .load(c)
            })
            .collect::<QueryResult<Vec<_>>>()
            .map(|found| found.into_iter().flatten().collect()),
    }
}

/// The customers' accesses in their spans by any of `employees`.
pub fn of_customers_by(
    conn: &mut AnyConnection,
    spans: &[Span],
    employees: &[&str],
) -> QueryResult<Vec<StoredLook>> {
    match conn {
        #[cfg(feature = "postgres")]
        AnyConnection::Postgresql(pg) => {
            in_spans_postgres(pg, OF_CUSTOMERS_BY_POSTGRES, spans, Some(employees))
        }
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(c) => {
            // Filtered here: a statement without an IN list stays in diesel's statement cache.
            let employees: std::collections::HashSet<&str> = employees.iter().copied().collect();
            let mut found = Vec::new();
            for span in spans {
                let rows: Vec<StoredLook> = looks()
                    .filter(access_events::customer_ref.eq(span.whose))
                    .filter(access_events::occurred_at.ge(span.from))
                    .filter(access_events::occurred_at.lt(span.to))
                    .load(c)?;
                found.extend(
                    rows.into_iter()
                        .filter(|row| employees.contains(row.employee_id.as_str())),
                );
            }
            Ok(found)
        }
    }
}

#[cfg(feature = "sqlite")]
#[allow(clippy::type_complexity)]
fn looks() -> diesel::dsl::Select<
    diesel::dsl::LeftJoin<access_events::table, access_explanations::table>,
    (
        access_events::id,
        access_events::employee_id,
        access_events::customer_ref,
        access_events::occurred_at,
        access_events::role_code,
        diesel::dsl::Nullable<access_explanations::state>,
    ),
> {
    access_events::table
        .left_join(access_explanations::table)
        .select((
            access_events::id,
            access_events::employee_id,
            access_events::customer_ref,
            access_events::occurred_at,
            access_events::role_code,
            access_explanations::state.nullable(),
        ))
}

#[cfg(feature = "postgres")]
const OF_EMPLOYEES_POSTGRES: &str = "SELECT l.* FROM \
     unnest($1::text[], $2::timestamp[], $3::timestamp[]) AS s(whose, from_at, to_at) \
     CROSS JOIN LATERAL (SELECT e.id, e.employee_id, e.customer_ref, e.occurred_at, \
         e.role_code, x.state FROM access_events e \
         LEFT JOIN access_explanations x ON x.access_event_id = e.id \
         WHERE e.employee_id = s.whose \
           AND e.occurred_at >= s.from_at AND e.occurred_at < s.to_at \
         OFFSET 0) AS l";

#[cfg(feature = "postgres")]
const OF_CUSTOMERS_BY_POSTGRES: &str = "SELECT l.* FROM \
     unnest($1::text[], $2::timestamp[], $3::timestamp[]) AS s(whose, from_at, to_at) \
     CROSS JOIN LATERAL (SELECT e.id, e.employee_id, e.customer_ref, e.occurred_at, \
         e.role_code, x.state FROM access_events e \
         LEFT JOIN access_explanations x ON x.access_event_id = e.id \
         WHERE e.customer_ref = s.whose \
           AND e.occurred_at >= s.from_at AND e.occurred_at < s.to_at \
           AND e.employee_id = ANY($4::text[]) \
         OFFSET 0) AS l";

/// `statement` over the spans, a thousand at a time; `employees` is its fourth bind, if any.
#[cfg(feature = "postgres")]
fn in_spans_postgres(
    pg: &mut diesel::PgConnection,
    statement: &str,
    spans: &[Span],
    employees: Option<&[&str]>,
) -> QueryResult<Vec<StoredLook>> {
    use diesel::sql_types::{Array, Text, Timestamp};
    let mut found = Vec::new();
    for chunk in spans.chunks(1000) {
        let query = diesel::sql_query(statement)
            .bind::<Array<Text>, _>(chunk.iter().map(|s| s.whose).collect::<Vec<_>>())
            .bind::<Array<Timestamp>, _>(chunk.iter().map(|s| s.from).collect::<Vec<_>>())
            .bind::<Array<Timestamp>, _>(chunk.iter().map(|s| s.to).collect::<Vec<_>>());
        let rows: Vec<StoredLook> = match employees {
            Some(employees) => query.bind::<Array<Text>, _>(employees).load(pg)?,
            None => query.load(pg)?,
        };
        found.extend(rows);
    }
    Ok(found)
}
