//! `access_counts_hourly`: accesses counted per UTC hour, role, data category and reason, kept
//! by the insert of every access event (in its transaction) for the statistics.

use chrono::{NaiveDateTime, Timelike};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::access_event::StatisticsGroup;
use super::AnyConnection;

/// Adds the events of leaves `from..to` (just inserted, in the caller's transaction) to their
/// hours' counts. Reads them back by leaf index, so exactly the rows this insert stored count,
/// never a duplicate it skipped.
pub fn add_leaves(conn: &mut AnyConnection, from: i64, to: i64) -> QueryResult<()> {
    if from >= to {
        return Ok(());
    }
    let hour_of = match conn {
        #[cfg(feature = "postgres")]
        AnyConnection::Postgresql(_) => "date_trunc('hour', occurred_at)",
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(_) => "strftime('%Y-%m-%d %H:00:00', occurred_at)",
    };
    let sql = format!(
        "INSERT INTO access_counts_hourly \
         (hour, role_code, data_category, reason_code, accesses, with_ticket) \
         SELECT {hour_of}, role_code, data_category, reason_code, count(*), count(ticket_ref) \
         FROM access_events WHERE leaf_index >= $1 AND leaf_index < $2 \
         GROUP BY 1, 2, 3, 4 \
         ON CONFLICT (hour, role_code, data_category, reason_code) DO UPDATE SET \
         accesses = access_counts_hourly.accesses + excluded.accesses, \
         with_ticket = access_counts_hourly.with_ticket + excluded.with_ticket"
    );
    crate::with_backend!(conn, |c| diesel::sql_query(&sql)
        .bind::<BigInt, _>(from)
        .bind::<BigInt, _>(to)
        .execute(c))?;
    Ok(())
}

/// Whether `at` starts an hour: only then do the hourly counts cover `[at, …)` exactly.
pub fn is_whole_hour(at: NaiveDateTime) -> bool {
    at.minute() == 0 && at.second() == 0 && at.nanosecond() == 0
}

/// Accesses in `[start, end)` (both whole hours) by role × category × reason, with how many of
/// them named a ticket: the same figures as counting the events.
pub fn counts_between(
    conn: &mut AnyConnection,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> QueryResult<Vec<StatisticsGroup>> {
    #[derive(QueryableByName)]
    struct Group {
        #[diesel(sql_type = Text)]
        role_code: String,
        #[diesel(sql_type = Text)]
        data_category: String,
        #[diesel(sql_type = Text)]
        reason_code: String,
        #[diesel(sql_type = BigInt)]
        accesses: i64,
        #[diesel(sql_type = BigInt)]
        with_ticket: i64,
    }
    // CAST: PostgreSQL sums BIGINTs as NUMERIC.
    let query = diesel::sql_query(
        "SELECT role_code, data_category, reason_code, \
         CAST(sum(accesses) AS BIGINT) AS accesses, \
         CAST(sum(with_ticket) AS BIGINT) AS with_ticket \
         FROM access_counts_hourly WHERE hour >= $1 AND hour < $2 \
         GROUP BY role_code, data_category, reason_code",
    )
    .bind::<Timestamp, _>(start)
    .bind::<Timestamp, _>(end);
    let groups: Vec<Group> = crate::with_backend!(conn, |c| query.load(c))?;
    Ok(groups
        .into_iter()
        .map(|g| {
            (
                g.role_code,
                g.data_category,
                g.reason_code,
                g.accesses,
                g.with_ticket,
            )
        })
        .collect())
}
