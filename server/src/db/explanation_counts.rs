//! `explanation_counts_hourly` and `explanation_counts_daily`: judgements counted per UTC hour
//! (and day) of the access, role and state, kept by triggers on `access_explanations` (see the
//! migration that adds them), for the statistics' explained share and flags per role. A period
//! sums them as it sums the access counts ([`access_counts::hours_and_days`]).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::{access_counts, AnyConnection};

/// Judged accesses in `[start, end)` (both whole hours) by role and state: the same figures as
/// joining the period's accesses to their judgements ([`super::explanation::counts_by_role`]).
pub fn counts_between(
    conn: &mut AnyConnection,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> QueryResult<Vec<(String, String, i64)>> {
    #[derive(QueryableByName)]
    struct Group {
        #[diesel(sql_type = Text)]
        role_code: String,
        #[diesel(sql_type = Text)]
        state: String,
        #[diesel(sql_type = BigInt)]
        accesses: i64,
    }
    // CAST: PostgreSQL sums BIGINTs as NUMERIC. A count that went to zero is left out, as the
    // join would leave the group out.
    let (start, first_day, last_day, end) = access_counts::split_into_days(start, end);
    let query = diesel::sql_query(format!(
        "SELECT role_code, state, CAST(sum(accesses) AS BIGINT) AS accesses \
         FROM ({}) AS counts \
         GROUP BY role_code, state HAVING sum(accesses) <> 0",
        access_counts::hours_and_days("explanation_counts", "role_code, state, accesses")
    ))
    .bind::<Timestamp, _>(start)
    .bind::<Timestamp, _>(first_day)
    .bind::<Timestamp, _>(last_day)
    .bind::<Timestamp, _>(end);
    let groups: Vec<Group> = crate::with_backend!(conn, |c| query.load(c))?;
    Ok(groups
        .into_iter()
        .map(|g| (g.role_code, g.state, g.accesses))
        .collect())
}
