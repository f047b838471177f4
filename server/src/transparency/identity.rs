//! One log, one set of keys. Several `einblick serve` processes (and `einblick checkpoint`,
//! `import`, …) share one database, which holds one log; each signs checkpoints when it holds the
//! checkpoint lock. If two of them held different signing keys, the log would carry checkpoints
//! no single public key verifies — a fork in all but name — and different customer-hash keys
//! would break every customer's chain. So the first process records the log's origin and keys,
//! and every process checks its own against that record before it writes, refusing to start on
//! a mismatch.

use chrono::NaiveDateTime;
use tlog_tiles::record_hash;

use super::bundle::verify_checkpoint;
use super::leaf::leaf_bytes;
use super::LogKeys;
use crate::db::log_identity::{self, LogIdentityRow};
use crate::db::{log, AnyConnection};
use crate::error::AppError;

/// Why this process may not write to the log in its database.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdentityMismatch {
    #[error(
        "this database holds the log {recorded}, but this server is configured for the log \
         {ours} (EINBLICK_LOG_ORIGIN / EINBLICK_PUBLIC_URL)"
    )]
    Origin { recorded: String, ours: String },
    #[error(
        "the log {origin} is signed with the key {recorded} (recorded {recorded_at}), but this \
         server's key is {ours}: give every Einblick process the same checkpoint-signing.key \
         (EINBLICK_LOG_KEY_DIR)"
    )]
    SigningKey {
        origin: String,
        recorded: String,
        recorded_at: NaiveDateTime,
        ours: String,
    },
    #[error(
        "the log {origin} hashes customer numbers with another key than this server's \
         customer-ref.key (recorded {recorded_at}): give every Einblick process the same key \
         directory (EINBLICK_LOG_KEY_DIR)"
    )]
    CustomerKey {
        origin: String,
        recorded_at: NaiveDateTime,
    },
    #[error(
        "the newest checkpoint of the log {origin} (size {tree_size}) does not verify with this \
         server's key {ours}: the log was signed with another key; start with that key \
         (EINBLICK_LOG_KEY_DIR)"
    )]
    UnverifiableCheckpoint {
        origin: String,
        tree_size: i64,
        ours: String,
    },
    #[error(
        "the newest entry of the log {origin} (leaf {leaf_index}) was written with another \
         customer-ref.key than this server's: start with that key (EINBLICK_LOG_KEY_DIR)"
    )]
    ForeignEntry { origin: String, leaf_index: i64 },
}

/// Why [`claim`] failed: the keys do not match, or the database could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    #[error(transparent)]
    Mismatch(#[from] IdentityMismatch),
    #[error(transparent)]
    Database(#[from] AppError),
}

impl From<diesel::result::Error> for ClaimError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Database(e.into())
    }
}

/// Records this process's origin and keys on the log's first start, or checks them against the
/// record. A log older than the record is checked against what it holds: its newest checkpoint
/// must verify with this signing key and its newest stored leaf hash must be what this
/// customer-hash key gives.
pub fn claim(
    conn: &mut AnyConnection,
    keys: &LogKeys,
    now: NaiveDateTime,
) -> Result<(), ClaimError> {
    let ours = identity_of(keys, now);
    if log_identity::all(conn)?.is_empty() {
        check_against_the_log(conn, keys)?;
        log_identity::record_if_absent(conn, &ours)?;
    }
    for recorded in log_identity::all(conn)? {
        if let Some(mismatch) = compare(&recorded, &ours) {
            return Err(mismatch.into());
        }
    }
    Ok(())
}

fn check_against_the_log(conn: &mut AnyConnection, keys: &LogKeys) -> Result<(), ClaimError> {
    let origin = keys.origin().to_owned();
    if let Some(latest) = log::latest_checkpoint(conn)? {
        if verify_checkpoint(&latest.note, keys.verifier_key()).is_err() {
            return Err(IdentityMismatch::UnverifiableCheckpoint {
                origin,
                tree_size: latest.tree_size,
                ours: keys.verifier_key().to_owned(),
            }
            .into());
        }
    }
    if let Some((event, stored)) = log::newest_with_stored_leaf_hash(conn)? {
        if stored[..] != record_hash(&leaf_bytes(keys, &event)).0[..] {
            return Err(IdentityMismatch::ForeignEntry {
                origin,
                leaf_index: event.leaf_index,
            }
            .into());
        }
    }
    Ok(())
}

/// Whether the keys recorded for the log are this process's: what readiness reports.
pub fn still_ours(conn: &mut AnyConnection, keys: &LogKeys) -> Result<bool, AppError> {
    let ours = identity_of(keys, NaiveDateTime::default());
    let recorded = log_identity::all(conn)?;
    Ok(!recorded.is_empty() && recorded.iter().all(|r| compare(r, &ours).is_none()))
}

/// What this process would record for its keys at `now`.
fn identity_of(keys: &LogKeys, now: NaiveDateTime) -> LogIdentityRow {
    LogIdentityRow {
        origin: keys.origin().to_owned(),
        verifier_key: keys.verifier_key().to_owned(),
        customer_key_check: keys.customer_key_check(),
        recorded_at: now,
    }
}

fn compare(recorded: &LogIdentityRow, ours: &LogIdentityRow) -> Option<IdentityMismatch> {
    if recorded.origin != ours.origin {
        return Some(IdentityMismatch::Origin {
            recorded: recorded.origin.clone(),
            ours: ours.origin.clone(),
        });
    }
    if recorded.verifier_key != ours.verifier_key {
        return Some(IdentityMismatch::SigningKey {
            origin: ours.origin.clone(),
            recorded: recorded.verifier_key.clone(),
            recorded_at: recorded.recorded_at,
            ours: ours.verifier_key.clone(),
        });
    }
    if recorded.customer_key_check != ours.customer_key_check {
        return Some(IdentityMismatch::CustomerKey {
            origin: ours.origin.clone(),
            recorded_at: recorded.recorded_at,
        });
    }
    None
}
