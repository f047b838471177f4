//! Database access: one codebase for SQLite and PostgreSQL, the backend chosen by the URL scheme.

pub mod access_counts;
pub mod access_event;
pub mod codes;
pub mod context;
pub mod customer;
pub mod dead_letter;
pub mod dispute;
pub mod dispute_history;
pub mod email_outbox;
pub mod employee;
pub mod employee_hour;
pub mod explanation;
pub mod explanation_counts;
pub mod feed_token;
pub mod ingest_stats;
pub mod investigation;
pub mod lease;
pub mod log;
pub mod log_identity;
pub mod login_failure;
pub mod look;
pub mod lookup;
#[cfg(test)]
mod migration_tests;
pub mod notification;
pub mod oidc_login;
pub mod partition;
pub mod password_link;
pub mod portal_link;
pub mod regulator_case;
pub mod retention;
pub mod schema;
pub mod service_token;
pub mod session;
pub mod staff_user;
pub mod trusted_device;
pub mod unknown_code;
pub mod witness;

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection};
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::AppError;

/// The joins to `access_events` that the generated schema does not know: PostgreSQL allows no
/// foreign key to a partitioned table unless it names the partition column (the month) too.
mod joins_to_access_events {
    use super::schema::{access_events, access_explanations, dispute_events, pending_alerts};
    diesel::joinable!(access_explanations -> access_events (access_event_id));
    diesel::joinable!(dispute_events -> access_events (access_event_id));
    diesel::joinable!(pending_alerts -> access_events (access_event_id));
}

/// Runs the same diesel expression on whichever backend `conn` is. For the few statements
/// `MultiConnection` cannot express itself (batch inserts, upserts).
#[macro_export]
macro_rules! with_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            #[cfg(feature = "postgres")]
            $crate::db::AnyConnection::Postgresql($c) => $body,
            #[cfg(feature = "sqlite")]
            $crate::db::AnyConnection::Sqlite($c) => $body,
        }
    };
}

#[cfg(feature = "sqlite")]
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[cfg(feature = "sqlite")]
std::thread_local! {
    /// Whether this thread holds [`SQLITE_WRITER`]: a nested write transaction (a savepoint)
    /// must not wait for the lock its own thread holds.
    static HOLDS_SQLITE_WRITER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `work` in a transaction that will write. SQLite has one writer; a deferred transaction
/// that reads first and then writes can fail at once with "database is locked" when another
/// one writes meanwhile, so writers of this process take turns there (other processes wait in
/// busy_timeout). PostgreSQL writers run side by side. Nested calls become savepoints.
pub fn write_transaction<T, F>(conn: &mut AnyConnection, work: F) -> Result<T, AppError>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, AppError>,
{
    #[cfg(feature = "sqlite")]
    if matches!(conn, AnyConnection::Sqlite(_)) && !HOLDS_SQLITE_WRITER.get() {
        /// Clears the flag however `work` ends, a panic included.
        struct Holding;
        impl Drop for Holding {
            fn drop(&mut self) {
                HOLDS_SQLITE_WRITER.set(false);
            }
        }
        let _writer = SQLITE_WRITER
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        HOLDS_SQLITE_WRITER.set(true);
        let _holding = Holding;
        return conn.transaction(work);
    }
    conn.transaction(work)
}

#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    #[cfg(feature = "postgres")]
    Postgresql(diesel::PgConnection),
    #[cfg(feature = "sqlite")]
    Sqlite(diesel::SqliteConnection),
}

#[cfg(feature = "sqlite")]
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
#[cfg(feature = "postgres")]
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

pub use crate::config::DatabaseLocation;

/// How the migrations applied to a database compare with those this binary embeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Embedded here, not applied yet.
    pub not_applied: usize,
    /// Applied by a newer binary: the database is ahead of this one.
    pub unknown: usize,
}

/// Compares the applied migrations with the embedded ones, without changing anything.
pub fn migration_status(conn: &mut AnyConnection) -> Result<MigrationStatus, AppError> {
    fn compare<DB: diesel::backend::Backend>(
        conn: &mut impl MigrationHarness<DB>,
        source: EmbeddedMigrations,
    ) -> diesel::migration::Result<MigrationStatus> {
        use diesel::migration::MigrationSource;
        let embedded: Vec<String> = MigrationSource::<DB>::migrations(&source)?
            .iter()
            .map(|migration| migration.name().version().to_string())
            .collect();
        let applied: Vec<String> = conn
            .applied_migrations()?
            .iter()
            .map(ToString::to_string)
            .collect();
        Ok(MigrationStatus {
            not_applied: embedded.iter().filter(|v| !applied.contains(v)).count(),
            unknown: applied.iter().filter(|v| !embedded.contains(v)).count(),
        })
    }
    match conn {
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(c) => compare(c, SQLITE_MIGRATIONS),
        #[cfg(feature = "postgres")]
        AnyConnection::Postgresql(c) => compare(c, POSTGRES_MIGRATIONS),
    }
    .map_err(|e| AppError::internal(format!("cannot read the applied migrations: {e}")))
}

/// Opens one connection to `location`, set up for how Einblick uses it.
fn establish(location: &DatabaseLocation) -> diesel::ConnectionResult<AnyConnection> {
    match location {
        #[cfg(feature = "sqlite")]
        DatabaseLocation::Sqlite(path) => {
            let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy())?;
            // WAL lets readers run beside the one writer; busy_timeout waits for the write lock
            // instead of failing at once.
            // WAL is switched on once, in `Database::connect`; it persists in the file.
            conn.batch_execute(
                "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
            )
            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(AnyConnection::Sqlite(conn))
        }
        #[cfg(feature = "postgres")]
        DatabaseLocation::Postgres(url) => {
            diesel::PgConnection::establish(url).map(AnyConnection::Postgresql)
        }
        #[allow(unreachable_patterns)]
        _ => Err(diesel::ConnectionError::BadConnection(format!(
            "this build of einblick has no {} support",
            location.backend_name()
        ))),
    }
}

/// How long after it last served a caller a pooled connection is handed out again without a
/// `SELECT 1` first. Checking every checkout cost the timeline page a round trip to the
/// database on each request; what the check is for, a connection that died while it sat idle
/// (a restarted server, a firewall's idle timeout), needs time to happen.
const TRUSTED_AFTER_USE: Duration = Duration::from_secs(10);

/// A connection as the pool keeps it: when it was last handed back, and whether the work that
/// last used it is known to have succeeded. Otherwise (the work failed, panicked, or took the
/// connection with [`Database::get`], which cannot tell) it is checked before anyone gets it
/// again: the failure may have been the connection itself going.
pub struct TrackedConnection {
    conn: AnyConnection,
    returned_at: Instant,
    last_work_succeeded: bool,
}

impl TrackedConnection {
    fn trusted(&self) -> bool {
        self.last_work_succeeded && self.returned_at.elapsed() < TRUSTED_AFTER_USE
    }
}

/// Opens connections for the pool, directly on the backend the URL names.
pub struct ConnectionManager {
    location: DatabaseLocation,
}

impl ManageConnection for ConnectionManager {
    type Connection = TrackedConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<TrackedConnection, r2d2::Error> {
        let conn = establish(&self.location).map_err(r2d2::Error::ConnectionError)?;
        Ok(TrackedConnection {
            conn,
            returned_at: Instant::now(),
            last_work_succeeded: true,
        })
    }

    fn is_valid(&self, tracked: &mut TrackedConnection) -> Result<(), r2d2::Error> {
        if tracked.trusted() {
            return Ok(());
        }
        tracked
            .conn
            .batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    /// Called as a connection goes back to the pool: the moment [`TrackedConnection::trusted`]
    /// counts from.
    fn has_broken(&self, tracked: &mut TrackedConnection) -> bool {
        tracked.returned_at = Instant::now();
        false
    }
}

/// A connection out of the pool, used as the [`AnyConnection`] it holds.
pub struct DbConnection(PooledConnection<ConnectionManager>);

impl DbConnection {
    /// The work done with this connection succeeded: it may skip the next check.
    fn vouch_for(&mut self) {
        self.0.last_work_succeeded = true;
    }
}

impl std::ops::Deref for DbConnection {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.0.conn
    }
}

impl std::ops::DerefMut for DbConnection {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.0.conn
    }
}

/// A pool of connections to the configured database. Cheap to clone.
#[derive(Clone)]
pub struct Database {
    pool: Pool<ConnectionManager>,
    location: DatabaseLocation,
}

impl Database {
    pub fn connect(location: DatabaseLocation, max_connections: u32) -> Result<Self, AppError> {
        if let DatabaseLocation::Sqlite(path) = &location {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    AppError::internal(format!(
                        "cannot create database folder {}: {e}",
                        dir.display()
                    ))
                })?;
            }
        }
        if matches!(location, DatabaseLocation::Sqlite(_)) {
            // WAL lets readers run beside the one writer. Switching needs the file to itself, so it
            // happens here, before the pool opens its connections side by side.
            let mut conn = establish(&location).map_err(|e| {
                AppError::internal(format!("cannot open database {location:?}: {e}"))
            })?;
            conn.batch_execute("PRAGMA journal_mode = WAL")?;
        }
        let pool = Pool::builder()
            .max_size(max_connections)
            .connection_timeout(Duration::from_secs(10))
            .build(ConnectionManager {
                location: location.clone(),
            })
            .map_err(|e| {
                // The driver's message may quote the URL, and the URL may hold a password.
                let message = match &location {
                    DatabaseLocation::Postgres(url) => {
                        crate::config::redact_url(&e.to_string(), url)
                    }
                    DatabaseLocation::Sqlite(_) => e.to_string(),
                };
                AppError::internal(format!("cannot open database {location:?}: {message}"))
            })?;
        Ok(Self { pool, location })
    }

    pub fn location(&self) -> &DatabaseLocation {
        &self.location
    }

    pub fn get(&self) -> Result<DbConnection, AppError> {
        let mut pooled = self
            .pool
            .get()
            .map_err(|e| AppError::internal(format!("no database connection: {e}")))?;
        // Until [`Database::run`] sees the work succeed, it goes back as one to check.
        pooled.last_work_succeeded = false;
        Ok(DbConnection(pooled))
    }

    /// Runs `work` on a blocking thread with a pooled connection: diesel is synchronous.
    pub async fn run<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, AppError> + Send + 'static,
    {
        let db = self.clone();
        actix_web::rt::task::spawn_blocking(move || {
            let mut conn = db.get()?;
            let done = work(&mut conn);
            if done.is_ok() {
                conn.vouch_for();
            }
            done
        })
        .await
        .map_err(|e| AppError::internal(format!("database task failed: {e}")))?
    }

    /// [`Database::run`] inside a [`write_transaction`]: all of `work` is stored, or none of it.
    pub async fn write<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, AppError> + Send + 'static,
    {
        self.run(move |conn| write_transaction(conn, work)).await
    }

    /// Applies the embedded migrations of this backend that have not run yet.
    pub fn migrate(&self) -> Result<Vec<String>, AppError> {
        let mut conn = self.get()?;
        let applied = match &mut *conn {
            #[cfg(feature = "sqlite")]
            AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
            #[cfg(feature = "postgres")]
            AnyConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
        }
        .map_err(|e| AppError::internal(format!("migration failed: {e}")))?;
        Ok(applied.iter().map(ToString::to_string).collect())
    }
}
