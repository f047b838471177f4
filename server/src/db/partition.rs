//! The monthly partitions of `access_events` on PostgreSQL (SQLite keeps one table). Each month
//! of `occurred_at` has its own partition, named `access_events_pYYYYMM`; an event of a month
//! without one lands in `access_events_default`. The server keeps the months around now ready
//! and splits months out of the default partition as they turn up there.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::QueryResult;

use super::AnyConnection;

/// What a run of [`ensure_months`] or [`ensure_months_between`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PartitionRun {
    /// The partitions created.
    pub created: Vec<String>,
    /// Partitions that could not be created this time, and why: a lock not granted in time (a
    /// long reader in the way), or a table of that name that is not a partition.
    pub failed: Vec<(String, String)>,
}

/// The first day of `at`'s month.
pub fn month_of(at: NaiveDateTime) -> NaiveDate {
    at.date().with_day(1).unwrap_or(at.date())
}

/// The name of `month`'s partition.
pub fn partition_name(month: NaiveDate) -> String {
    format!("access_events_p{:04}{:02}", month.year(), month.month())
}

/// Creates the partitions the server keeps ready around `now` (last month, this one and the next
/// three) and those of months found in the default partition, moving their events. Several
/// servers may run this at once: each month is created under the leaf lock, once. A month that
/// fails does not stop the others. SQLite: nothing to do.
pub fn ensure_months(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<PartitionRun> {
    match conn {
        #[cfg(feature = "postgres")]
        AnyConnection::Postgresql(pg) => postgres::ensure_months(pg, now),
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(_) => {
            let _ = now;
            Ok(PartitionRun::default())
        }
    }
}

/// Creates the partition of every month from `first`'s through `last`'s that has none (within
/// ten years before and one year after `now`, as the default partition's months are split out)
/// before a backfill of history stores into them (`einblick import`, the demo's 18 months), so
/// its events need not wait in the default partition to be moved. SQLite: nothing to do.
pub fn ensure_months_between(
    conn: &mut AnyConnection,
    first: NaiveDateTime,
    last: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<PartitionRun> {
    match conn {
        #[cfg(feature = "postgres")]
        AnyConnection::Postgresql(pg) => {
            postgres::ensure_months_between(pg, month_of(first), month_of(last), month_of(now))
        }
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(_) => {
            let _ = (first, last, now);
            Ok(PartitionRun::default())
        }
    }
}

#[cfg(feature = "postgres")]
pub(super) mod postgres {
    use chrono::{Months, NaiveDate, NaiveDateTime};
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;

    use super::{month_of, partition_name, PartitionRun};

    /// Months before this one that the server keeps a partition for: late events of last
    /// month need not wait in the default partition.
    const MONTHS_BEHIND: u32 = 1;
    /// Months after this one that the server creates ahead.
    const MONTHS_AHEAD: u32 = 3;
    /// Months of the default partition split out in one run at most: a feed sending events
    /// spread over centuries must not make thousands of tables at once.
    const SPLIT_PER_RUN: usize = 12;
    /// How far from now a month gets a partition of its own; events further out stay in the
    /// default partition.
    const YEARS_BACK: u32 = 10;
    const YEARS_AHEAD: u32 = 1;

    pub(super) fn ensure_months(
        pg: &mut PgConnection,
        now: NaiveDateTime,
    ) -> QueryResult<PartitionRun> {
        let this_month = month_of(now);
        let first = this_month - Months::new(MONTHS_BEHIND);
        let mut wanted: Vec<NaiveDate> = (0..=MONTHS_BEHIND + MONTHS_AHEAD)
            .filter_map(|n| first.checked_add_months(Months::new(n)))
            .collect();
        let (earliest, latest) = window(this_month);
        wanted.extend(
            months_in_default(pg, earliest, latest)?
                .into_iter()
                .take(SPLIT_PER_RUN),
        );
        wanted.sort_unstable();
        wanted.dedup();
        create_missing(pg, wanted)
    }

    pub(super) fn ensure_months_between(
        pg: &mut PgConnection,
        first: NaiveDate,
        last: NaiveDate,
        this_month: NaiveDate,
    ) -> QueryResult<PartitionRun> {
        let (earliest, latest) = window(this_month);
        let mut wanted = Vec::new();
        let mut month = first.max(earliest);
        while month <= last.min(latest) {
            wanted.push(month);
            month = month + Months::new(1);
        }
        create_missing(pg, wanted)
    }

    /// The first and the last month that may get a partition of its own.
    fn window(this_month: NaiveDate) -> (NaiveDate, NaiveDate) {
        (
            this_month - Months::new(12 * YEARS_BACK),
            this_month + Months::new(12 * YEARS_AHEAD),
        )
    }

    fn create_missing(pg: &mut PgConnection, months: Vec<NaiveDate>) -> QueryResult<PartitionRun> {
        let existing = existing_partitions(pg)?;
        let mut run = PartitionRun::default();
        for month in months {
            let name = partition_name(month);
            if existing.contains(&name) {
                continue;
            }
            match create_month(pg, month) {
                Ok(true) => run.created.push(name),
                Ok(false) => {}
                Err(e) => run.failed.push((name, e.to_string())),
            }
        }
        Ok(run)
    }

    /// The names of `access_events`' partitions.
    pub(in crate::db) fn existing_partitions(pg: &mut PgConnection) -> QueryResult<Vec<String>> {
        #[derive(QueryableByName)]
        struct Named {
            #[diesel(sql_type = diesel::sql_types::Text)]
            name: String,
        }
        let rows: Vec<Named> = diesel::sql_query(
            "SELECT c.relname::TEXT AS name FROM pg_inherits i \
             JOIN pg_class c ON c.oid = i.inhrelid \
             WHERE i.inhparent = 'access_events'::regclass",
        )
        .load(pg)?;
        Ok(rows.into_iter().map(|row| row.name).collect())
    }

    /// Whether a table named `name` exists, partition or not.
    fn table_exists(pg: &mut PgConnection, name: &str) -> QueryResult<bool> {
        #[derive(QueryableByName)]
        struct Exists {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            exists: bool,
        }
        diesel::sql_query("SELECT to_regclass($1) IS NOT NULL AS exists")
            .bind::<diesel::sql_types::Text, _>(name)
            .get_result::<Exists>(pg)
            .map(|row| row.exists)
    }

    /// The months from `earliest` through `latest` that have events in the default partition.
    fn months_in_default(
        pg: &mut PgConnection,
        earliest: NaiveDate,
        latest: NaiveDate,
    ) -> QueryResult<Vec<NaiveDate>> {
        #[derive(QueryableByName)]
        struct Month {
            #[diesel(sql_type = diesel::sql_types::Date)]
            month: NaiveDate,
        }
        let rows: Vec<Month> = diesel::sql_query(
            "SELECT DISTINCT date_trunc('month', occurred_at)::DATE AS month \
             FROM access_events_default WHERE occurred_at >= $1 AND occurred_at < $2 ORDER BY 1",
        )
        .bind::<diesel::sql_types::Date, _>(earliest)
        .bind::<diesel::sql_types::Date, _>(latest + Months::new(1))
        .load(pg)?;
        Ok(rows.into_iter().map(|row| row.month).collect())
    }

    /// Creates `month`'s partition and moves its events out of the default partition, in one
    /// transaction under the leaf lock (no events are stored meanwhile, so none can land in
    /// the default partition between the move and the attach) and with the table locked for
    /// readers too: a query planned with the partitions as they were would not see the moved
    /// events at all. `false` if another server created it first.
    fn create_month(pg: &mut PgConnection, month: NaiveDate) -> QueryResult<bool> {
        let name = partition_name(month);
        let end = month + Months::new(1);
        pg.transaction(|pg| {
            // Readers queue behind the table lock while it waits, and stores behind the leaf
            // lock held meanwhile; a reader that stores a staff look (it takes the leaf lock
            // after reading) would deadlock with it. So give up before PostgreSQL's deadlock
            // check (1 s) would pick a victim, and try again at the next run.
            pg.batch_execute("SET LOCAL lock_timeout = '500ms'")?;
            diesel::sql_query(crate::db::log::LEAF_LOCK_POSTGRES).execute(pg)?;
            pg.batch_execute("LOCK TABLE access_events IN ACCESS EXCLUSIVE MODE")?;
            if existing_partitions(pg)?.contains(&name) {
                return Ok(false);
            }
            if table_exists(pg, &name)? {
                return Err(diesel::result::Error::QueryBuilderError(
                    format!("a table named {name} exists and is not a partition of access_events")
                        .into(),
                ));
            }
            // The name and the bounds are made here from a date, never from input.
            pg.batch_execute(&format!(
                "CREATE TABLE {name} (LIKE access_events INCLUDING DEFAULTS); \
                 WITH moved AS (DELETE FROM access_events_default \
                     WHERE occurred_at >= '{month}' AND occurred_at < '{end}' RETURNING *) \
                 INSERT INTO {name} SELECT * FROM moved; \
                 ALTER TABLE access_events ATTACH PARTITION {name} \
                     FOR VALUES FROM ('{month}') TO ('{end}');"
            ))?;
            Ok(true)
        })
    }
}
