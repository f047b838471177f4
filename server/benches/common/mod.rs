//! What both benchmarks need: a fresh, migrated database that is removed afterwards.

use diesel::connection::SimpleConnection;
use diesel::Connection;
use diesel::RunQueryDsl;
use einblick::db::{Database, DatabaseLocation};

/// Removes the benchmark's database when dropped.
pub(crate) struct ScratchGuard(Option<String>, Option<std::path::PathBuf>);

impl Drop for ScratchGuard {
    fn drop(&mut self) {
        if let Some(name) = &self.0 {
            if let Ok(mut admin) = diesel::PgConnection::establish(&admin_url()) {
                let _ = admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
            }
        }
        if let Some(dir) = &self.1 {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

pub(crate) fn admin_url() -> String {
    std::env::var("EINBLICK_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh migrated database on `backend` ("sqlite" or "postgres"), named after `label`.
pub(crate) fn scratch_database(backend: &str, label: &str) -> (Database, ScratchGuard) {
    let name = format!("einblick_bench_{label}_{}", std::process::id());
    let db = migrated_database(backend, &name, Fresh::Yes);
    let guard = if backend == "sqlite" {
        ScratchGuard(None, Some(sqlite_dir(&name)))
    } else {
        ScratchGuard(Some(name), None)
    };
    (db, guard)
}

/// The database `einblick_bench_<name>` on `backend`, created when missing and kept afterwards,
/// so that data loaded once serves several benchmark runs.
// Only the benchmarks that load events reuse a database.
#[allow(dead_code)]
pub(crate) fn kept_database(backend: &str, name: &str) -> Database {
    migrated_database(backend, &format!("einblick_bench_{name}"), Fresh::No)
}

#[derive(PartialEq)]
enum Fresh {
    Yes,
    No,
}

fn sqlite_dir(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(name)
}

fn migrated_database(backend: &str, name: &str, fresh: Fresh) -> Database {
    let location = if backend == "sqlite" {
        let dir = sqlite_dir(name);
        if fresh == Fresh::Yes {
            let _ = std::fs::remove_dir_all(&dir);
        }
        std::fs::create_dir_all(&dir).unwrap();
        DatabaseLocation::Sqlite(dir.join("bench.sqlite3"))
    } else {
        let mut admin =
            diesel::PgConnection::establish(&admin_url()).expect("PostgreSQL on 127.0.0.1:5432");
        let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
            "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}')"
        )))
        .get_result(&mut admin)
        .unwrap();
        assert!(
            !(exists && fresh == Fresh::Yes),
            "the database {name} exists already"
        );
        if !exists {
            admin
                .batch_execute(&format!("CREATE DATABASE \"{name}\""))
                .unwrap();
        }
        let mut url = url::Url::parse(&admin_url()).unwrap();
        url.set_path(name);
        DatabaseLocation::Postgres(url.to_string())
    };
    let db = Database::connect(location, 8).unwrap();
    db.migrate().unwrap();
    db
}

/// A private folder for the verifiable log's keys, so benchmarks never write into the tree.
pub(crate) fn log_key_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("einblick_bench_log_keys_{}", std::process::id()))
}
