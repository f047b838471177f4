//! `log_identity`: the keys each log origin is kept with. What it guards is in
//! `crate::transparency::identity`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::log_identity;
use super::AnyConnection;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = log_identity)]
pub struct LogIdentityRow {
    pub origin: String,
    pub verifier_key: String,
    pub customer_key_check: String,
    pub recorded_at: NaiveDateTime,
}

/// Records `identity` unless its origin has one already (a concurrent first start may have won).
pub fn record_if_absent(conn: &mut AnyConnection, identity: &LogIdentityRow) -> QueryResult<()> {
    crate::with_backend!(conn, |c| {
        diesel::insert_into(log_identity::table)
            .values(identity)
            .on_conflict(log_identity::origin)
            .do_nothing()
            .execute(c)
    })?;
    Ok(())
}

/// The recorded identities: one, for the one log a database holds (none before the first start).
pub fn all(conn: &mut AnyConnection) -> QueryResult<Vec<LogIdentityRow>> {
    log_identity::table
        .order(log_identity::recorded_at)
        .select(LogIdentityRow::as_select())
        .load(conn)
}
