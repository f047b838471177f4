//! Migrations that move data, run step by step against a database holding that data.

use diesel::prelude::*;
use diesel::sql_types::Binary;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};

use super::{log, AnyConnection};

/// The last migration before chain heads were read from the events.
const BEFORE_CHAIN_INDEX: &str = "20261201000010";

/// The last migration before the judge counted employee-hours.
const BEFORE_EMPLOYEE_HOURS: &str = "20261203000017";

/// Runs migrations one by one up to and including `last`.
fn migrate_up_to<DB, C>(conn: &mut C, source: fn() -> EmbeddedMigrations, last: &str)
where
    DB: diesel::backend::Backend,
    C: MigrationHarness<DB>,
{
    loop {
        let version = conn.run_next_migration(source()).expect("a migration runs");
        if version.to_string().replace('-', "") == last {
            return;
        }
    }
}

/// A customer's two v2 rows, stored before the leaf hash column existed (so without one), and
/// their head kept in `log_customer_heads`, as such a database holds them.
fn store_heads_kept_in_table(conn: &mut AnyConnection) {
    crate::with_backend!(conn, |c| {
        diesel::sql_query(
            "INSERT INTO access_events (source, event_id, occurred_at, received_at, customer_ref, \
             employee_id, role_code, data_category, action, reason_code, content_sha256, \
             leaf_index, leaf_format, customer_entry) VALUES \
             ('feed', 'e1', '2026-11-01 10:00:00', '2026-11-01 10:00:00', 'C-1', 'E-1', \
              'support', 'orders', 'view', 'ticket', 'x', 0, 2, 1), \
             ('feed', 'e2', '2026-11-01 11:00:00', '2026-11-01 11:00:00', 'C-1', 'E-1', \
              'support', 'orders', 'view', 'ticket', 'y', 1, 2, 2)",
        )
        .execute(c)
        .expect("events stored");
        diesel::sql_query("INSERT INTO log_customer_heads VALUES ('C-1', 1, $1, 2)")
            .bind::<Binary, _>(vec![0xab_u8; 32])
            .execute(c)
            .expect("head stored")
    });
}

fn assert_head_moved_to_newest_row(conn: &mut AnyConnection) {
    let heads = log::customer_heads(conn, &["C-1", "C-2"]).expect("heads read");
    assert_eq!(heads.len(), 1, "only C-1 has a chain: {heads:?}");
    let head = heads["C-1"];
    assert_eq!(head.last_leaf, 1);
    assert_eq!(head.entries, 2);
    assert_eq!(
        head.last_leaf_hash, [0xab; 32],
        "the head's hash moved onto its row"
    );
}

#[cfg(feature = "sqlite")]
#[test]
// With only one backend compiled in, `AnyConnection` has one variant.
#[allow(irrefutable_let_patterns)]
fn sqlite_chain_heads_move_from_their_table_onto_the_newest_rows() {
    let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
    migrate_up_to(&mut conn, || super::SQLITE_MIGRATIONS, BEFORE_CHAIN_INDEX);
    let mut conn = AnyConnection::Sqlite(conn);
    store_heads_kept_in_table(&mut conn);
    let AnyConnection::Sqlite(c) = &mut conn else {
        unreachable!()
    };
    c.run_pending_migrations(super::SQLITE_MIGRATIONS)
        .expect("the rest migrates");
    assert_head_moved_to_newest_row(&mut conn);
}

/// A database on the test PostgreSQL server, dropped when the test ends, passed or not.
#[cfg(feature = "postgres")]
struct ScratchPostgres {
    admin: diesel::PgConnection,
    name: String,
    url: String,
}

#[cfg(feature = "postgres")]
impl ScratchPostgres {
    /// `label` tells apart the tests running at once in this process.
    fn create(label: &str) -> Self {
        let admin_url = std::env::var("EINBLICK_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let name = format!("einblick_migration_{label}_{}", std::process::id());
        let mut admin = diesel::PgConnection::establish(&admin_url)
            .expect("PostgreSQL must run on 127.0.0.1:5432 (see README: test command)");
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&mut admin)
            .unwrap();
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .unwrap();
        let url = match admin_url.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => panic!("EINBLICK_TEST_POSTGRES_URL names no database: {admin_url}"),
        };
        Self { admin, name, url }
    }
}

#[cfg(feature = "postgres")]
impl Drop for ScratchPostgres {
    fn drop(&mut self) {
        let _ = diesel::sql_query(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut self.admin);
    }
}

#[cfg(feature = "postgres")]
#[test]
#[allow(irrefutable_let_patterns)]
fn postgres_chain_heads_move_from_their_table_onto_the_newest_rows() {
    let scratch = ScratchPostgres::create("heads");
    let mut conn = diesel::PgConnection::establish(&scratch.url).unwrap();
    migrate_up_to(&mut conn, || super::POSTGRES_MIGRATIONS, BEFORE_CHAIN_INDEX);
    let mut conn = AnyConnection::Postgresql(conn);
    store_heads_kept_in_table(&mut conn);
    let AnyConnection::Postgresql(c) = &mut conn else {
        unreachable!()
    };
    c.run_pending_migrations(super::POSTGRES_MIGRATIONS)
        .expect("the rest migrates");
    assert_head_moved_to_newest_row(&mut conn);
}

/// One employee's accesses in the clock hour a day ago (two customers, one of them twice) and one
/// 100 days ago, as a database holds them before `employee_hours`; returns the hour.
fn store_recent_and_old_accesses(conn: &mut AnyConnection) -> chrono::NaiveDateTime {
    use chrono::{Duration, Timelike};
    let now = chrono::Utc::now().naive_utc();
    let day_ago = now - Duration::days(1);
    let hour = day_ago
        .date()
        .and_hms_opt(day_ago.hour(), 0, 0)
        .expect("a whole hour exists");
    let accesses = [
        (hour + Duration::minutes(5), "C-1", 1),
        (hour + Duration::minutes(10), "C-2", 1),
        (hour + Duration::minutes(20), "C-1", 2),
        (now - Duration::days(100), "C-3", 1),
    ];
    let values: Vec<String> = accesses
        .iter()
        .enumerate()
        .map(|(leaf, (at, customer, entry))| {
            let at = at.format("%Y-%m-%d %H:%M:%S");
            format!(
                "('feed', 'e{leaf}', '{at}', '{at}', '{customer}', 'E-1', 'support', 'orders', \
                 'view', 'ticket', 'x', {leaf}, 2, {entry})"
            )
        })
        .collect();
    let insert = format!(
        "INSERT INTO access_events (source, event_id, occurred_at, received_at, customer_ref, \
         employee_id, role_code, data_category, action, reason_code, content_sha256, \
         leaf_index, leaf_format, customer_entry) VALUES {}",
        values.join(", ")
    );
    crate::with_backend!(conn, |c| diesel::sql_query(&insert).execute(c)).expect("events stored");
    hour
}

/// The migration counted the last 90 days' employee-hours, each customer once, and not older.
fn assert_recent_hour_counted(conn: &mut AnyConnection, hour: chrono::NaiveDateTime) {
    use super::schema::employee_hours;
    let counted: Vec<(chrono::NaiveDateTime, String, String, i64)> = employee_hours::table
        .select((
            employee_hours::hour,
            employee_hours::employee_id,
            employee_hours::role_code,
            employee_hours::customers,
        ))
        .load(conn)
        .expect("employee-hours read");
    assert_eq!(counted, vec![(hour, "E-1".into(), "support".into(), 2)]);
}

#[cfg(feature = "sqlite")]
#[test]
#[allow(irrefutable_let_patterns)]
fn sqlite_employee_hours_are_counted_from_the_stored_accesses() {
    let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
    migrate_up_to(
        &mut conn,
        || super::SQLITE_MIGRATIONS,
        BEFORE_EMPLOYEE_HOURS,
    );
    let mut conn = AnyConnection::Sqlite(conn);
    let hour = store_recent_and_old_accesses(&mut conn);
    let AnyConnection::Sqlite(c) = &mut conn else {
        unreachable!()
    };
    c.run_pending_migrations(super::SQLITE_MIGRATIONS)
        .expect("the rest migrates");
    assert_recent_hour_counted(&mut conn, hour);
}

#[cfg(feature = "postgres")]
#[test]
#[allow(irrefutable_let_patterns)]
fn postgres_employee_hours_are_counted_from_the_stored_accesses() {
    let scratch = ScratchPostgres::create("hours");
    let mut conn = diesel::PgConnection::establish(&scratch.url).unwrap();
    migrate_up_to(
        &mut conn,
        || super::POSTGRES_MIGRATIONS,
        BEFORE_EMPLOYEE_HOURS,
    );
    let mut conn = AnyConnection::Postgresql(conn);
    let hour = store_recent_and_old_accesses(&mut conn);
    let AnyConnection::Postgresql(c) = &mut conn else {
        unreachable!()
    };
    c.run_pending_migrations(super::POSTGRES_MIGRATIONS)
        .expect("the rest migrates");
    assert_recent_hour_counted(&mut conn, hour);
}
