//! Removes the access events the retention policy no longer keeps, and remembers which. A pass
//! removes, of each customer, the oldest entries of their chain that happened before the first
//! day kept — never an entry after one that stays, so a customer's kept timeline is always a
//! whole chain from its first kept entry on, and a gap in the middle stays proof of tampering.
//! An entry stays while it is not in a signed checkpoint yet (the tiles must hold its leaf hash
//! for good), held back from the customer, part of an open dispute, explained under an open
//! investigation, or of a customer under an open regulator case; and so do the customer's later
//! entries, until the next pass after it goes.
//!
//! On PostgreSQL a month whose events all go is dropped whole (its partition); otherwise the
//! events go row by row, as on SQLite. With each event go its explanation, its pending alert,
//! its place in closed disputes, its feed key and, if it was the customer's newest entry, their
//! chain head (their next entry starts a chain of its own, as on SQLite). The leaf runs removed
//! are recorded under a note signed by the log's key (`transparency::retention` signs it). The
//! judge's counts of the employee-hours before the first day kept go too.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{log_removed_leaves, log_retention_passes, removed_access_events};
use super::AnyConnection;
use crate::domain::DisputeStatus;
use crate::error::AppError;

/// What one pass removed, and what it left for a later one.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RetentionRun {
    pub removed_events: i64,
    /// The monthly partitions dropped (PostgreSQL).
    pub dropped_partitions: Vec<String>,
    /// What older than the policy keeps is still there, and why.
    pub waiting: Vec<String>,
}

/// What a pass removed, as its signed note states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovalPass {
    pub removed_at: NaiveDateTime,
    pub removed_before: NaiveDate,
    /// Runs of consecutive leaf indices, (first, end exclusive), in log order.
    pub leaf_runs: Vec<(i64, i64)>,
    /// Runs of consecutive access event ids, likewise.
    pub id_runs: Vec<(i64, i64)>,
}

/// A stored pass: its note, and the runs recorded under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPass {
    pub pass: RemovalPass,
    pub note: String,
}

/// Removes the events that happened before `oldest_kept` whose leaves are below `covered` (the
/// size of the latest signed checkpoint), as the module says, in one transaction; `sign` makes
/// the pass's note.
pub fn remove_before(
    conn: &mut AnyConnection,
    oldest_kept: NaiveDate,
    covered: i64,
    now: NaiveDateTime,
    sign: &dyn Fn(&RemovalPass) -> Result<String, AppError>,
) -> Result<RetentionRun, AppError> {
    let mut run = RetentionRun::default();
    super::write_transaction(conn, |conn| {
        lock_out_writers(conn)?;
        // Dates and numbers made here, never input: safe to write into the statements.
        let old = format!("occurred_at < '{oldest_kept}'");
        let now_literal = now.format("%Y-%m-%d %H:%M:%S%.6f");
        temporary_table(
            conn,
            "retention_candidates",
            &format!(
                "SELECT id, leaf_index, source, event_id, customer_ref, occurred_at \
                 FROM access_events \
                 WHERE {old} AND leaf_index < {covered} \
                     AND (visible_from IS NULL OR visible_from <= '{now_literal}') \
                     AND id NOT IN ({}) AND customer_ref NOT IN ({})",
                held_events(),
                customers_under_review()
            ),
        )?;
        index_and_analyze(conn, "retention_candidates", &["id", "customer_ref"])?;
        // Each customer's first entry that stays: nothing of theirs after it goes.
        temporary_table(
            conn,
            "retention_first_kept",
            "SELECT e.customer_ref, MIN(e.leaf_index) AS first_kept FROM access_events e \
             WHERE e.customer_ref IN (SELECT customer_ref FROM retention_candidates) \
                 AND NOT EXISTS (SELECT 1 FROM retention_candidates c WHERE c.id = e.id) \
             GROUP BY e.customer_ref",
        )?;
        temporary_table(
            conn,
            "retention_doomed",
            "SELECT c.* FROM retention_candidates c \
             LEFT JOIN retention_first_kept f ON f.customer_ref = c.customer_ref \
             WHERE f.first_kept IS NULL OR c.leaf_index < f.first_kept",
        )?;
        let doomed = count(conn, "SELECT COUNT(*) AS count FROM retention_doomed")?;
        if doomed > 0 {
            let pass = RemovalPass {
                removed_at: now,
                removed_before: oldest_kept,
                leaf_runs: runs(conn, "leaf_index")?,
                id_runs: runs(conn, "id")?,
            };
            store_pass(conn, &pass, &sign(&pass)?)?;
            remove_dependents(conn)?;
            match conn {
                #[cfg(feature = "postgres")]
                AnyConnection::Postgresql(pg) => {
                    run.dropped_partitions = postgres::remove_events(pg, oldest_kept)?;
                }
                #[cfg(feature = "sqlite")]
                AnyConnection::Sqlite(_) => {
                    diesel::sql_query(
                        "DELETE FROM access_events WHERE id IN (SELECT id FROM retention_doomed)",
                    )
                    .execute(conn)?;
                }
            }
            run.removed_events = doomed;
        }
        // The judge's per-employee-hour counts of distinct customers go with the accesses they
        // counted: activity the policy no longer keeps is not kept as counts either.
        super::employee_hour::remove_before(conn, oldest_kept.and_time(chrono::NaiveTime::MIN))?;
        for table in [
            "retention_doomed",
            "retention_first_kept",
            "retention_candidates",
        ] {
            diesel::sql_query(format!("DROP TABLE {table}")).execute(conn)?;
        }
        Ok(())
    })?;
    let left = count(
        conn,
        &format!("SELECT COUNT(*) AS count FROM access_events WHERE occurred_at < '{oldest_kept}'"),
    )?;
    if left > 0 {
        run.waiting.push(format!(
            "{left} events that happened before {oldest_kept}: not yet in a signed checkpoint, \
             held back, under an open dispute, investigation or regulator case, or later in a \
             customer's chain than one of those"
        ));
    }
    Ok(run)
}

/// The leaf index runs removed under the policy, as (first, end exclusive, pass), in log order.
fn removed_leaf_runs(conn: &mut AnyConnection) -> QueryResult<Vec<(i64, i64, NaiveDateTime)>> {
    use log_removed_leaves::dsl as rl;
    rl::log_removed_leaves
        .order(rl::first_leaf)
        .select((rl::first_leaf, rl::end_leaf, rl::removed_at))
        .load(conn)
}

/// Every pass, with the runs stored under it.
pub fn passes(conn: &mut AnyConnection) -> QueryResult<Vec<StoredPass>> {
    use log_retention_passes::dsl as rp;
    use removed_access_events::dsl as ra;
    let notes: Vec<(NaiveDateTime, NaiveDate, String)> = rp::log_retention_passes
        .order(rp::removed_at)
        .select((rp::removed_at, rp::removed_before, rp::note))
        .load(conn)?;
    let leaf_runs = removed_leaf_runs(conn)?;
    let id_runs: Vec<(i64, i64, NaiveDateTime)> = ra::removed_access_events
        .order(ra::first_id)
        .select((ra::first_id, ra::end_id, ra::removed_at))
        .load(conn)?;
    let of_pass = |runs: &[(i64, i64, NaiveDateTime)], pass: NaiveDateTime| {
        runs.iter()
            .filter(|(_, _, at)| *at == pass)
            .map(|(first, end, _)| (*first, *end))
            .collect()
    };
    Ok(notes
        .into_iter()
        .map(|(removed_at, removed_before, note)| StoredPass {
            pass: RemovalPass {
                removed_at,
                removed_before,
                leaf_runs: of_pass(&leaf_runs, removed_at),
                id_runs: of_pass(&id_runs, removed_at),
            },
            note,
        })
        .collect())
}

/// Whether the access event `id` was removed under the policy.
pub fn event_was_removed(conn: &mut AnyConnection, id: i64) -> QueryResult<bool> {
    use removed_access_events::dsl as ra;
    let run: Option<i64> = ra::removed_access_events
        .filter(ra::first_id.le(id))
        .order(ra::first_id.desc())
        .select(ra::end_id)
        .first(conn)
        .optional()?;
    Ok(run.is_some_and(|end| id < end))
}

/// Whether leaf `leaf_index` was removed under the policy.
pub fn leaf_was_removed(conn: &mut AnyConnection, leaf_index: i64) -> QueryResult<bool> {
    use log_removed_leaves::dsl as rl;
    let run: Option<i64> = rl::log_removed_leaves
        .filter(rl::first_leaf.le(leaf_index))
        .order(rl::first_leaf.desc())
        .select(rl::end_leaf)
        .first(conn)
        .optional()?;
    Ok(run.is_some_and(|end| leaf_index < end))
}

/// Takes the leaf lock (no events are stored meanwhile, so none can link to an entry that is
/// going) and, on PostgreSQL, keeps new disputes out until the pass commits (one filed after
/// the check would lose its event).
fn lock_out_writers(conn: &mut AnyConnection) -> QueryResult<()> {
    #[cfg(feature = "postgres")]
    if matches!(conn, AnyConnection::Postgresql(_)) {
        // Stores wait behind this, and readers behind a table lock it may take: give up
        // before PostgreSQL's deadlock check (1 s) would pick a victim, and try again later.
        diesel::sql_query("SET LOCAL lock_timeout = '500ms'").execute(conn)?;
        // The joins below hash tables of a month's events.
        diesel::sql_query("SET LOCAL work_mem = '64MB'").execute(conn)?;
    }
    match conn {
        #[cfg(feature = "postgres")]
        AnyConnection::Postgresql(_) => {}
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(c) => super::log::take_sqlite_write_lock(c)?,
    }
    super::log::lock_next_leaf(conn)?;
    #[cfg(feature = "postgres")]
    if matches!(conn, AnyConnection::Postgresql(_)) {
        diesel::sql_query("LOCK TABLE dispute_events IN SHARE MODE").execute(conn)?;
    }
    Ok(())
}

/// The ids of the access events the policy must keep for now: part of an open dispute, or
/// explained under an open investigation.
fn held_events() -> String {
    let closed: Vec<String> = DisputeStatus::ALL
        .into_iter()
        .filter(|status| status.is_closed())
        .map(|status| format!("'{}'", status.code()))
        .collect();
    format!(
        "SELECT de.access_event_id FROM dispute_events de \
             JOIN disputes d ON d.id = de.dispute_id WHERE d.status NOT IN ({}) \
         UNION SELECT x.access_event_id FROM access_explanations x \
             JOIN investigations i ON i.id = x.investigation_id WHERE i.status = 'open'",
        closed.join(", ")
    )
}

/// The customers under an open regulator case: all their entries stay until it is closed.
fn customers_under_review() -> &'static str {
    "SELECT c.customer_ref FROM regulator_cases r JOIN customers c ON c.id = r.customer_id \
     WHERE r.closed_at IS NULL"
}

/// Temporary tables get no statistics of their own (PostgreSQL never analyzes them by itself)
/// and no index: the joins of a pass over years of history need both.
fn index_and_analyze(conn: &mut AnyConnection, table: &str, columns: &[&str]) -> QueryResult<()> {
    for column in columns {
        diesel::sql_query(format!(
            "CREATE INDEX {table}_{column} ON {table} ({column})"
        ))
        .execute(conn)?;
    }
    diesel::sql_query(format!("ANALYZE {table}")).execute(conn)?;
    Ok(())
}

fn temporary_table(conn: &mut AnyConnection, name: &str, select: &str) -> QueryResult<()> {
    diesel::sql_query(format!("DROP TABLE IF EXISTS {name}")).execute(conn)?;
    diesel::sql_query(format!("CREATE TEMPORARY TABLE {name} AS {select}")).execute(conn)?;
    Ok(())
}

fn count(conn: &mut AnyConnection, sql: &str) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        count: i64,
    }
    Ok(diesel::sql_query(sql).get_result::<Count>(conn)?.count)
}

/// The runs of consecutive values of `column` in `retention_doomed`, in order.
fn runs(conn: &mut AnyConnection, column: &str) -> QueryResult<Vec<(i64, i64)>> {
    #[derive(QueryableByName)]
    struct Run {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        first: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        end: i64,
    }
    // Consecutive numbers minus their rank are equal within a run: one row per run.
    let rows: Vec<Run> = diesel::sql_query(format!(
        "SELECT MIN({column}) AS first, MAX({column}) + 1 AS end FROM ( \
             SELECT {column}, {column} - ROW_NUMBER() OVER (ORDER BY {column}) AS run \
             FROM retention_doomed) runs \
         GROUP BY run ORDER BY 1"
    ))
    .load(conn)?;
    Ok(rows.into_iter().map(|run| (run.first, run.end)).collect())
}

/// Records the pass: its signed note, its leaf runs, and the runs of event ids it removes.
fn store_pass(conn: &mut AnyConnection, pass: &RemovalPass, note: &str) -> QueryResult<()> {
    use log_removed_leaves::dsl as rl;
    use log_retention_passes::dsl as rp;
    use removed_access_events::dsl as ra;
    diesel::insert_into(rp::log_retention_passes)
        .values((
            rp::removed_at.eq(pass.removed_at),
            rp::removed_before.eq(pass.removed_before),
            rp::note.eq(note),
        ))
        .execute(conn)?;
    // Chunks keep each statement under SQLite's limit of bound values.
    for chunk in pass.leaf_runs.chunks(5_000) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(first, end)| {
                (
                    rl::first_leaf.eq(*first),
                    rl::end_leaf.eq(*end),
                    rl::removed_at.eq(pass.removed_at),
                )
            })
            .collect();
        crate::with_backend!(conn, |c| diesel::insert_into(rl::log_removed_leaves)
            .values(&rows)
            .execute(c))?;
    }
    for chunk in pass.id_runs.chunks(5_000) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(first, end)| {
                (
                    ra::first_id.eq(*first),
                    ra::end_id.eq(*end),
                    ra::removed_at.eq(pass.removed_at),
                )
            })
            .collect();
        crate::with_backend!(conn, |c| diesel::insert_into(ra::removed_access_events)
            .values(&rows)
            .execute(c))?;
    }
    Ok(())
}

/// Removes what hangs on the events of `retention_doomed`; the events are left to the caller.
fn remove_dependents(conn: &mut AnyConnection) -> QueryResult<()> {
    for table in ["access_explanations", "pending_alerts", "dispute_events"] {
        diesel::sql_query(format!(
            "DELETE FROM {table} WHERE access_event_id IN (SELECT id FROM retention_doomed)"
        ))
        .execute(conn)?;
    }
    #[cfg(feature = "postgres")]
    if matches!(conn, AnyConnection::Postgresql(_)) {
        // SQLite keeps the feed key in the row and finds heads through an index of the rows.
        diesel::sql_query(
            "DELETE FROM feed_event_keys k USING retention_doomed d \
             WHERE k.source = d.source AND k.event_id = d.event_id",
        )
        .execute(conn)?;
        // A head goes only with every entry of its customer (nothing after a kept one goes).
        diesel::sql_query(
            "DELETE FROM log_customer_heads h USING retention_doomed d \
             WHERE h.last_leaf = d.leaf_index",
        )
        .execute(conn)?;
    }
    Ok(())
}

#[cfg(feature = "postgres")]
mod postgres {
    use chrono::{Months, NaiveDate};
    use diesel::prelude::*;

    /// Deletes the events of `retention_doomed`, dropping each monthly partition older than
    /// `oldest_kept` whose events all go. The drops come last, in a savepoint: they lock the
    /// whole table, which readers wait for, so at most 500 ms are spent waiting for that lock;
    /// if it is not granted, those months' rows are deleted instead (their empty partitions go
    /// at a later pass). Returns the partitions dropped.
    pub(super) fn remove_events(
        pg: &mut PgConnection,
        oldest_kept: NaiveDate,
    ) -> QueryResult<Vec<String>> {
        let mut whole = Vec::new();
        let mut partly = vec!["access_events_default".to_owned()];
        for name in crate::db::partition::postgres::existing_partitions(pg)? {
            let Some(month) = month_of_partition(&name) else {
                continue;
            };
            if month >= oldest_kept {
                continue;
            }
            let end = month + Months::new(1);
            #[derive(QueryableByName)]
            struct Counts {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                events: i64,
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                doomed: i64,
            }
            // The name is checked above to be a month's partition, the bounds are dates.
            let counts: Counts = diesel::sql_query(format!(
                "SELECT (SELECT COUNT(*) FROM \"{name}\") AS events, \
                     (SELECT COUNT(*) FROM retention_doomed \
                      WHERE occurred_at >= '{month}' AND occurred_at < '{end}') AS doomed"
            ))
            .get_result(pg)?;
            if counts.events == counts.doomed {
                whole.push(name);
            } else if counts.doomed > 0 {
                partly.push(name);
            }
        }
        whole.sort();
        for name in &partly {
            delete_doomed_rows(pg, name)?;
        }
        let dropped = pg.transaction(|pg| {
            diesel::sql_query("LOCK TABLE access_events IN ACCESS EXCLUSIVE MODE").execute(pg)?;
            for name in &whole {
                diesel::sql_query(format!("DROP TABLE \"{name}\"")).execute(pg)?;
            }
            QueryResult::Ok(())
        });
        match dropped {
            Ok(()) => Ok(whole),
            Err(e) => {
                tracing::info!(error = %e, "old months could not be dropped whole now: their rows are deleted");
                for name in &whole {
                    delete_doomed_rows(pg, name)?;
                }
                Ok(Vec::new())
            }
        }
    }

    fn delete_doomed_rows(pg: &mut PgConnection, partition: &str) -> QueryResult<usize> {
        diesel::sql_query(format!(
            "DELETE FROM \"{partition}\" WHERE id IN (SELECT id FROM retention_doomed)"
        ))
        .execute(pg)
    }

    /// The month of a partition named `access_events_pYYYYMM`; `None` for any other name.
    fn month_of_partition(name: &str) -> Option<NaiveDate> {
        let digits = name.strip_prefix("access_events_p")?;
        if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        NaiveDate::from_ymd_opt(digits[..4].parse().ok()?, digits[4..].parse().ok()?, 1)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn only_a_months_partition_name_has_a_month() {
            assert_eq!(
                month_of_partition("access_events_p202511"),
                NaiveDate::from_ymd_opt(2025, 11, 1)
            );
            for other in [
                "access_events_default",
                "access_events_p2025111",
                "access_events_p2025-1",
                "access_events_p202513",
                "other_p202511",
            ] {
                assert_eq!(month_of_partition(other), None, "{other}");
            }
        }
    }
}
