//! `employee_hours`: how many distinct customers each employee looked at in each role and clock
//! hour, written by the judge for the hours of every batch it judges. The volume rule's
//! baselines are learned from these counts rather than from the accesses themselves.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::employee_hours;
use super::AnyConnection;

#[derive(Debug, Clone, PartialEq, Eq, Insertable)]
#[diesel(table_name = employee_hours)]
pub struct EmployeeHourRow {
    /// The start of the clock hour (UTC).
    pub hour: NaiveDateTime,
    pub employee_id: String,
    pub role_code: String,
    pub customers: i64,
}

/// Writes these hours' counts, replacing what was stored for them: each row counts all of its
/// hour's accesses, so the newest count is the right one.
pub fn store(conn: &mut AnyConnection, rows: &[EmployeeHourRow]) -> QueryResult<()> {
    use diesel::upsert::excluded;
    use employee_hours as eh;
    macro_rules! upsert {
        ($values:expr, $c:expr) => {
            diesel::insert_into(eh::table)
                .values($values)
                .on_conflict((eh::hour, eh::employee_id, eh::role_code))
                .do_update()
                .set(eh::customers.eq(excluded(eh::customers)))
                .execute($c)
        };
    }
    match conn {
        #[cfg(feature = "postgres")]
        AnyConnection::Postgresql(pg) => {
            for chunk in rows.chunks(1000) {
                upsert!(chunk, pg)?;
            }
        }
        // SQLite has no multi-row upsert in diesel; inside the judge's transaction each row is
        // cheap.
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(c) => {
            for row in rows {
                upsert!(row, c)?;
            }
        }
    }
    Ok(())
}

/// Per role, how many employee-hours since `since` had each number of distinct customers:
/// `(role, customers, hours)`, a few rows per role whatever the number of hours.
pub fn histogram_since(
    conn: &mut AnyConnection,
    since: NaiveDateTime,
) -> QueryResult<Vec<(String, i64, i64)>> {
    employee_hours::table
        .filter(employee_hours::hour.ge(since))
        .group_by((employee_hours::role_code, employee_hours::customers))
        .select((
            employee_hours::role_code,
            employee_hours::customers,
            diesel::dsl::count_star(),
        ))
        .load(conn)
}

/// Removes the hours before `hour`, which no learning reads any more.
pub fn remove_before(conn: &mut AnyConnection, hour: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(employee_hours::table.filter(employee_hours::hour.lt(hour))).execute(conn)
}
