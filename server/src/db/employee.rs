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
    let stored: Option<NaiveDateTime> = employees::table
        .find(&row.employee_id)
        .select(employees::described_at)
        .first(conn)
        .optional()?;
    match stored {
        Some(at) if at > row.described_at => Ok(false),
        Some(_) => {
            diesel::update(employees::table.find(&row.employee_id))
                .set(row)
                .execute(conn)?;
            Ok(true)
        }
        None => {
            diesel::insert_into(employees::table)
                .values(row)
                .execute(conn)?;
            Ok(true)
        }
    }
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
