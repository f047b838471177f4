//! The employee directory (`employees`): team, shift, the keyed hashes of surname and postcode,
//! and the employee's own customer account.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::employees;
use super::AnyConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = employees)]
#[diesel(treat_none_as_null = true)]
pub struct EmployeeRow {
    pub employee_id: String,
    pub surname_hash: Option<String>,
    pub postcode_hash: Option<String>,
    pub team: Option<String>,
    pub shift_start: Option<i16>,
    pub shift_end: Option<i16>,
    pub active: bool,
    pub customer_ref: Option<String>,
    pub described_at: NaiveDateTime,
}

/// Stores the description unless a newer one is stored; `true` when something was written.
pub fn upsert(conn: &mut AnyConnection, row: &EmployeeRow) -> QueryResult<bool> {
    // Race-free with a concurrent batch describing the same employee (see context::upsert).
    let created = crate::with_backend!(conn, |c| {
        diesel::insert_into(employees::table)
            .values(row)
            .on_conflict(employees::employee_id)
            .do_nothing()
            .execute(c)
    })? == 1;
    if created {
        return Ok(true);
    }
    let updated = diesel::update(
        employees::table
            .find(&row.employee_id)
            .filter(employees::described_at.le(row.described_at)),
    )
    .set(row)
    .execute(conn)?;
    Ok(updated > 0)
}

pub fn find_many(conn: &mut AnyConnection, ids: &[String]) -> QueryResult<Vec<EmployeeRow>> {
    let mut rows = Vec::new();
    for chunk in ids.chunks(500) {
        rows.extend(
            employees::table
                .filter(employees::employee_id.eq_any(chunk))
                .select(EmployeeRow::as_select())
                .load(conn)?,
        );
    }
    Ok(rows)
}

pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<EmployeeRow>> {
    employees::table
        .find(id)
        .select(EmployeeRow::as_select())
        .first(conn)
        .optional()
}
