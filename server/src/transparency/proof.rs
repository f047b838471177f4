//! Proofs served from the stored tiles: inclusion of one event's leaf in the latest signed
//! checkpoint, and consistency of an older tree size with a newer one. Each proof is checked
//! against the signed root before it leaves, so corrupted tiles fail loudly instead of handing
//! out proofs that do not verify.

use tlog_tiles::{record_hash, Hash};

use super::bundle::{encode_hashes, ProofBundle, BUNDLE_FORMAT};
use super::keys::LogKeys;
use super::leaf::leaf_bytes;
use super::tiles::stored_tiles;
use crate::db::access_event::AccessEventRow;
use crate::db::log::{self, CheckpointRow};
use crate::db::AnyConnection;
use crate::error::AppError;

/// The bundle for `event`, against the latest checkpoint; one is signed first if none covers the
/// event yet, so a customer never waits for the cadence.
pub fn inclusion_bundle(
    conn: &mut AnyConnection,
    keys: &LogKeys,
    event: &AccessEventRow,
    now: chrono::NaiveDateTime,
) -> Result<ProofBundle, AppError> {
    let mut checkpoint = log::latest_checkpoint(conn)?;
    // Another server may sign first, over fewer events: then try again.
    for _ in 0..3 {
        if checkpoint
            .as_ref()
            .is_some_and(|c| c.tree_size > event.leaf_index)
        {
            break;
        }
        super::checkpoint::issue(conn, keys, now)?;
        checkpoint = log::latest_checkpoint(conn)?;
    }
    let checkpoint = checkpoint
        .filter(|c| c.tree_size > event.leaf_index)
        .ok_or_else(|| AppError::internal("no checkpoint covers this event"))?;
    let leaf = leaf_bytes(keys, event);
    let proof = inclusion_proof(
        conn,
        &checkpoint,
        event.leaf_index as u64,
        record_hash(&leaf),
    )?;
    Ok(ProofBundle {
        format: BUNDLE_FORMAT.to_owned(),
        log_origin: keys.origin().to_owned(),
        log_public_key: keys.verifier_key().to_owned(),
        checkpoint: checkpoint.note.clone(),
        leaf_index: event.leaf_index as u64,
        leaf: String::from_utf8(leaf).map_err(|e| AppError::context("a leaf is not UTF-8", e))?,
        inclusion_proof: encode_hashes(&proof),
        how_to_verify: String::new(),
    })
}

/// The RFC 6962 audit path of leaf `index` in the tree of `checkpoint`, checked before returned.
pub fn inclusion_proof(
    conn: &mut AnyConnection,
    checkpoint: &CheckpointRow,
    index: u64,
    leaf_hash: Hash,
) -> Result<Vec<Hash>, AppError> {
    let size = checkpoint.tree_size as u64;
    let root = root_of(checkpoint)?;
    let tiles = stored_tiles(conn);
    let proof = tlog_tiles::prove_record(size, index, &tiles).map_err(|e| {
        tiles
            .take_failure()
            .unwrap_or_else(|| AppError::internal(format!("inclusion proof of leaf {index}: {e}")))
    })?;
    tlog_tiles::check_record(&proof, size, root, index, leaf_hash).map_err(|_| {
        AppError::internal(format!(
            "the stored tiles do not prove leaf {index} in checkpoint {size}: run `einblick audit`"
        ))
    })?;
    Ok(proof)
}

/// The RFC 6962 consistency proof that the tree of `old_size` is a prefix of the checkpoint's.
pub fn consistency_proof(
    conn: &mut AnyConnection,
    old: &CheckpointRow,
    new: &CheckpointRow,
) -> Result<Vec<Hash>, AppError> {
    let (old_size, new_size) = (old.tree_size as u64, new.tree_size as u64);
    let tiles = stored_tiles(conn);
    let proof = tlog_tiles::prove_tree(new_size, old_size, &tiles).map_err(|e| {
        tiles.take_failure().unwrap_or_else(|| {
            AppError::internal(format!("consistency proof {old_size} → {new_size}: {e}"))
        })
    })?;
    tlog_tiles::check_tree(&proof, new_size, root_of(new)?, old_size, root_of(old)?).map_err(
        |_| {
            AppError::internal(format!(
                "the stored tiles do not prove checkpoint {old_size} is a prefix of {new_size}: \
                 run `einblick audit`"
            ))
        },
    )?;
    Ok(proof)
}

fn root_of(checkpoint: &CheckpointRow) -> Result<Hash, AppError> {
    checkpoint
        .root_hash
        .clone()
        .try_into()
        .map(Hash)
        .map_err(|_| AppError::internal("a stored checkpoint root is not 32 bytes"))
}
