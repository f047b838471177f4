//! Signed checkpoints (C2SP tlog-checkpoint in a C2SP signed note, Ed25519): the tiles are
//! extended to every committed leaf, then the new tree size and root are signed and kept. Issued
//! on a cadence: after a number of new events or some seconds after the first uncovered one.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use tlog_tiles::{record_hash, Hash};

use super::keys::LogKeys;
use super::leaf::leaf_bytes;
use super::tiles::TreeBuilder;
use super::witness::submit::{witness_in_background, Witnessing};
use super::witness::witnessed::newest_witnessed;
use crate::config::TransparencySettings;
use crate::db::log::{self, CheckpointRow};
use crate::db::{AnyConnection, Database};
use crate::error::AppError;

/// One checkpoint covers at most this many new leaves, so that catching up with a large backlog
/// (the first start after an upgrade) never holds the database in one long transaction.
const MAX_NEW_LEAVES: i64 = 100_000;
/// Events read from the database at a time while extending the tree.
const READ_CHUNK: i64 = 5_000;
/// How often a latest checkpoint the witnesses did not all cosign is sent to them again.
const WITNESS_RETRY: Duration = Duration::from_secs(30);

/// Extends the tree to the committed leaves (up to [`MAX_NEW_LEAVES`] more) and signs a
/// checkpoint of it. `None` when the last checkpoint already covers every leaf, or when another
/// server signed one meanwhile.
///
/// The events are read and hashed outside any transaction (they never change, and a new
/// checkpoint only ever appends to the tiles); only storing the tiles and the checkpoint takes
/// the write lock, so ingest is held up for milliseconds, not for the hashing.
pub fn issue(
    conn: &mut AnyConnection,
    keys: &LogKeys,
    now: NaiveDateTime,
) -> Result<Option<CheckpointRow>, AppError> {
    let covered = log::latest_checkpoint(conn)?.map_or(0, |c| c.tree_size);
    let committed = log::leaf_count(conn)?;
    if committed <= covered {
        return Ok(None);
    }
    let target = committed.min(covered + MAX_NEW_LEAVES);
    let mut tree = TreeBuilder::load(conn, covered as u64)?;
    let mut next = covered;
    while next < target {
        let chunk_end = (next + READ_CHUNK).min(target);
        for (leaf_index, hash) in leaf_hashes(conn, keys, next, chunk_end)? {
            if leaf_index != next {
                return Err(missing_leaf(next));
            }
            tree.append(hash);
            next += 1;
        }
        if next < chunk_end {
            return Err(missing_leaf(next));
        }
    }
    let root = tree.root()?;
    let row = CheckpointRow {
        tree_size: target,
        root_hash: root.0.to_vec(),
        note: signed_checkpoint(keys, target as u64, root)?,
        issued_at: now,
    };
    crate::db::write_transaction(conn, |conn| {
        log::lock_checkpointing(conn)?;
        let still_latest = log::latest_checkpoint(conn)?.map_or(0, |c| c.tree_size);
        if still_latest != covered {
            return Ok(None);
        }
        tree.store(conn)?;
        log::insert_checkpoint(conn, &row)?;
        Ok(Some(row))
    })
}

/// The leaf hashes of leaves `from..to`, in log order: as stored at insert where the row has
/// one (v2 leaves, whose chain needed the hash then), else hashed from the event (v1 leaves, and
/// v2 leaves stored before the hash was kept). `einblick audit` recomputes them all from the
/// events, so a stored hash that is not its event's shows there as a changed event.
fn leaf_hashes(
    conn: &mut AnyConnection,
    keys: &LogKeys,
    from: i64,
    to: i64,
) -> Result<Vec<(i64, Hash)>, AppError> {
    let stored = log::stored_leaf_hashes(conn, from, to)?;
    let as_hash = |bytes: &Option<Vec<u8>>| {
        bytes
            .as_deref()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .map(Hash)
    };
    if stored.iter().all(|(_, bytes)| as_hash(bytes).is_some()) {
        return Ok(stored
            .iter()
            .filter_map(|(leaf_index, bytes)| Some((*leaf_index, as_hash(bytes)?)))
            .collect());
    }
    let stored: HashMap<i64, Hash> = stored
        .iter()
        .filter_map(|(leaf_index, bytes)| Some((*leaf_index, as_hash(bytes)?)))
        .collect();
    Ok(log::events_by_leaf(conn, from, to)?
        .iter()
        .map(|event| {
            let hash = stored
                .get(&event.leaf_index)
                .copied()
                .unwrap_or_else(|| record_hash(&leaf_bytes(keys, event)));
            (event.leaf_index, hash)
        })
        .collect())
}

/// Sends the latest checkpoint (of `size`) to the witnesses again unless the policy already
/// counts it as witnessed.
async fn rewitness_latest(db: &Database, witnessing: &Arc<Witnessing>, size: i64) {
    let policy_witnessing = witnessing.clone();
    let pending = db
        .run(move |conn| {
            if newest_witnessed(conn, &policy_witnessing.policy, size - 1)?.is_some() {
                return Ok(None);
            }
            Ok(log::checkpoint_of_size(conn, size)?)
        })
        .await;
    match pending {
        Ok(Some(checkpoint)) => {
            witness_in_background(db.clone(), witnessing.clone(), checkpoint);
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "cannot read the latest checkpoint's cosignatures"),
    }
}

fn missing_leaf(leaf: i64) -> AppError {
    AppError::internal(format!(
        "leaf {leaf} of the access log has no access event any more; no checkpoint is signed \
         over a gap (run `einblick audit`)"
    ))
}

/// The checkpoint as a signed note: `origin`, size, base64 root, blank line, signature line.
pub fn signed_checkpoint(keys: &LogKeys, size: u64, root: Hash) -> Result<String, AppError> {
    let body = tlog_tiles::Checkpoint::new(keys.origin(), size, root, "")
        .map_err(|e| AppError::internal(format!("checkpoint: {e}")))?;
    let mut note = signed_note::Note::new(&body.to_bytes(), &[])
        .map_err(|e| AppError::internal(format!("checkpoint note: {e}")))?;
    note.add_sigs(&[keys.signer()])
        .map_err(|e| AppError::internal(format!("signing a checkpoint: {e}")))?;
    String::from_utf8(note.to_bytes()).map_err(|_| AppError::internal("a signed note is not UTF-8"))
}

/// Runs for the life of the server: signs a checkpoint when the cadence says so.
/// Each checkpoint it signs goes to the witnesses, if any; a latest checkpoint the witnesses did
/// not make count (one was down) is sent again every [`WITNESS_RETRY`] while no new one is due.
pub async fn run_cadence(
    db: Database,
    settings: TransparencySettings,
    keys: Arc<LogKeys>,
    witnessing: Option<Arc<Witnessing>>,
) {
    let every_events = i64::from(settings.checkpoint_every_events);
    let every = Duration::from_secs(u64::from(settings.checkpoint_every_seconds));
    let tick = every.min(Duration::from_secs(1));
    let mut uncovered_since: Option<Instant> = None;
    let mut last_witnessing = Instant::now();
    loop {
        actix_web::rt::time::sleep(tick).await;
        let counts = db
            .run(|conn| {
                let covered = log::latest_checkpoint(conn)?.map_or(0, |c| c.tree_size);
                Ok((covered, log::leaf_count(conn)?))
            })
            .await;
        let (covered, committed) = match counts {
            Ok(counts) => counts,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the access log's size");
                continue;
            }
        };
        if committed <= covered {
            uncovered_since = None;
            if let Some(witnessing) = &witnessing {
                if covered > 0 && last_witnessing.elapsed() >= WITNESS_RETRY {
                    last_witnessing = Instant::now();
                    rewitness_latest(&db, witnessing, covered).await;
                }
            }
            continue;
        }
        let since = *uncovered_since.get_or_insert_with(Instant::now);
        if committed - covered < every_events && since.elapsed() < every {
            continue;
        }
        let keys = keys.clone();
        let issued = db
            .run(move |conn| issue(conn, &keys, chrono::Utc::now().naive_utc()))
            .await;
        match issued {
            Ok(Some(checkpoint)) => {
                uncovered_since = None;
                tracing::info!(
                    tree_size = checkpoint.tree_size,
                    "signed a checkpoint of the access log"
                );
                if let Some(witnessing) = &witnessing {
                    last_witnessing = Instant::now();
                    witness_in_background(db.clone(), witnessing.clone(), checkpoint);
                }
            }
            Ok(None) => uncovered_since = None,
            Err(e) => tracing::error!(error = %e, "cannot sign a checkpoint of the access log"),
        }
    }
}
