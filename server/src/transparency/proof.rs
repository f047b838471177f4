//! Proofs served from the stored tiles: inclusion of one event's leaf in the latest signed
//! checkpoint, and consistency of an older tree size with a newer one. Each proof is checked
//! against the signed root before it leaves, so corrupted tiles fail loudly instead of handing
//! out proofs that do not verify.

use chrono::Datelike;
use tlog_tiles::{record_hash, Hash};

use super::bundle::{encode_hashes, ProofBundle, BUNDLE_FORMAT};
use super::keys::LogKeys;
use super::leaf::{access_document, leaf_bytes, AccessFields};
use super::tiles::stored_tiles;
use super::timeline_bundle::{
    BundledPass, TimelineBundle, TimelineEntry, UnchainedEntry, TIMELINE_FORMAT,
    UNTIL_FURTHER_NOTICE,
};
use super::witness::witnessed::{newest_witnessed, witnessed_note, WitnessedNote};
use super::witness::Policy;
use crate::db::access_event::{self, AccessEventRow};
use crate::db::log::{self, CheckpointRow};
use crate::db::retention;
use crate::db::AnyConnection;
use crate::domain::CustomerRef;
use crate::error::{AppError, ErrorKind};

/// The bundle for `event`, against the latest checkpoint; one is signed first if none covers the
/// event yet, so a customer never waits for the cadence.
///
/// With a witness `policy`, the newest checkpoint it counts as witnessed is used if one covers
/// the event, with its cosignatures ([`super::witness::witnessed::ensure_witnessed`] makes one).
pub fn inclusion_bundle(
    conn: &mut AnyConnection,
    keys: &LogKeys,
    event: &AccessEventRow,
    now: chrono::NaiveDateTime,
    policy: Option<&Policy>,
) -> Result<ProofBundle, AppError> {
    let (checkpoint, witnessed) = proving_checkpoint(conn, keys, event.leaf_index, now, policy)?;
    let shown = shown_leaf(keys, event)?;
    let proof = inclusion_proof(conn, &checkpoint, event.leaf_index as u64, shown.hash)?;
    let leaf_hash = shown.leaf.is_empty().then(|| hex::encode(shown.hash.0));
    Ok(ProofBundle {
        format: BUNDLE_FORMAT.to_owned(),
        log_origin: keys.origin().to_owned(),
        log_public_key: keys.verifier_key().to_owned(),
        checkpoint: witnessed.note,
        leaf_index: event.leaf_index as u64,
        leaf: shown.leaf,
        leaf_hash,
        access: shown.access,
        inclusion_proof: encode_hashes(&proof),
        witnessed_by: witnessed.by,
        how_to_verify: String::new(),
    })
}

/// The checkpoint a proof for leaf `leaf_index` is made against: the newest witnessed one that
/// covers it, else the latest (signed now if none covers the leaf) with whatever cosignatures
/// it has (and no names, as they do not make the quorum).
pub fn proving_checkpoint(
    conn: &mut AnyConnection,
    keys: &LogKeys,
    leaf_index: i64,
    now: chrono::NaiveDateTime,
    policy: Option<&Policy>,
) -> Result<(CheckpointRow, WitnessedNote), AppError> {
    let Some(policy) = policy else {
        let checkpoint = checkpoint_covering(conn, keys, leaf_index, now)?;
        let note = WitnessedNote {
            note: checkpoint.note.clone(),
            by: Vec::new(),
        };
        return Ok((checkpoint, note));
    };
    if let Some(found) = newest_witnessed(conn, policy, leaf_index)? {
        return Ok(found);
    }
    let checkpoint = checkpoint_covering(conn, keys, leaf_index, now)?;
    let note = witnessed_note(conn, policy, &checkpoint)?;
    Ok((checkpoint, note))
}

/// The latest checkpoint, if it covers leaf `leaf_index`; else one is signed now.
pub fn checkpoint_covering(
    conn: &mut AnyConnection,
    keys: &LogKeys,
    leaf_index: i64,
    now: chrono::NaiveDateTime,
) -> Result<CheckpointRow, AppError> {
    let mut checkpoint = log::latest_checkpoint(conn)?;
    // Another server may sign first, over fewer events: then try again.
    for _ in 0..3 {
        if checkpoint
            .as_ref()
            .is_some_and(|c| c.tree_size > leaf_index)
        {
            break;
        }
        super::checkpoint::issue(conn, keys, now)?;
        checkpoint = log::latest_checkpoint(conn)?;
    }
    checkpoint
        .filter(|c| c.tree_size > leaf_index)
        .ok_or_else(|| AppError::internal("no checkpoint covers this event"))
}

/// The bundle of the customer's whole timeline: every chained entry (held-back ones by their
/// leaf only), the newest one's inclusion proof, and each unchained (v1) entry's hash and
/// inclusion proof.
pub fn timeline_bundle(
    conn: &mut AnyConnection,
    keys: &LogKeys,
    customer: &CustomerRef,
    now: chrono::NaiveDateTime,
    policy: Option<&Policy>,
) -> Result<TimelineBundle, AppError> {
    let events = access_event::all_of_customer_in_log_order(conn, customer)?;
    if events.is_empty() && log::latest_checkpoint(conn)?.is_none() {
        // Nothing of the customer's to prove; an empty log has nothing to sign either.
        return Err(AppError::new(ErrorKind::NotFound));
    }
    let newest = events.last().map_or(0, |event| event.leaf_index);
    let (checkpoint, witnessed) = proving_checkpoint(conn, keys, newest, now, policy)?;
    let mut bundle = TimelineBundle {
        format: TIMELINE_FORMAT.to_owned(),
        log_origin: keys.origin().to_owned(),
        log_public_key: keys.verifier_key().to_owned(),
        checkpoint: witnessed.note,
        customer: format!("hmac-sha256:{}", keys.customer_hash(customer.as_str())),
        entries: Vec::new(),
        newest_inclusion_proof: Vec::new(),
        unchained_entries: Vec::new(),
        removed_by_retention: Vec::new(),
        retention_passes: retention::passes(conn)?
            .into_iter()
            .map(|stored| BundledPass {
                note: stored.note,
                leaf_runs: stored
                    .pass
                    .leaf_runs
                    .iter()
                    .map(|(first, end)| (*first as u64, *end as u64))
                    .collect(),
            })
            .collect(),
        witnessed_by: witnessed.by,
        how_to_verify: String::new(),
    };
    let mut newest_chained = None;
    for event in &events {
        let shown = shown_leaf(keys, event)?;
        if shown.leaf.is_empty() {
            let proof = inclusion_proof(conn, &checkpoint, event.leaf_index as u64, shown.hash)?;
            bundle.unchained_entries.push(UnchainedEntry {
                leaf_index: event.leaf_index as u64,
                leaf_hash: hex::encode(shown.hash.0),
                inclusion_proof: encode_hashes(&proof),
            });
            continue;
        }
        if let Some(removed) = removed_link(conn, &checkpoint, event, newest_chained)? {
            bundle.removed_by_retention.push(removed);
        }
        let held_back_until = event
            .visible_from
            .filter(|from| *from > now)
            .map(|from| match from.and_utc().year() {
                9999 => UNTIL_FURTHER_NOTICE.to_owned(),
                _ => from.and_utc().format("%Y-%m-%d").to_string(),
            });
        newest_chained = Some((event.leaf_index, shown.hash));
        bundle.entries.push(TimelineEntry {
            leaf_index: event.leaf_index as u64,
            leaf: shown.leaf,
            access: shown.access.filter(|_| held_back_until.is_none()),
            held_back_until,
        });
    }
    if let Some((index, hash)) = newest_chained {
        let proof = inclusion_proof(conn, &checkpoint, index as u64, hash)?;
        bundle.newest_inclusion_proof = encode_hashes(&proof);
    }
    Ok(bundle)
}

/// The leaf the customer's first chained `event` held links back to, if it was removed under
/// the retention policy (`before` is the chained entry before it in the bundle, if any): its
/// hash, as the event commits to it, with its inclusion proof (which fails if the log holds
/// another hash there).
fn removed_link(
    conn: &mut AnyConnection,
    checkpoint: &CheckpointRow,
    event: &AccessEventRow,
    before: Option<(i64, Hash)>,
) -> Result<Option<UnchainedEntry>, AppError> {
    let (Some(linked), Some(linked_hash)) = (
        event.customer_previous_leaf,
        event.customer_previous_hash.as_deref(),
    ) else {
        return Ok(None);
    };
    if before.is_some() || !retention::leaf_was_removed(conn, linked)? {
        return Ok(None);
    }
    let hash = Hash(linked_hash.try_into().map_err(|_| {
        AppError::internal(format!(
            "leaf {} links by a malformed hash",
            event.leaf_index
        ))
    })?);
    let proof = inclusion_proof(conn, checkpoint, linked as u64, hash)?;
    Ok(Some(UnchainedEntry {
        leaf_index: linked as u64,
        leaf_hash: hex::encode(hash.0),
        inclusion_proof: encode_hashes(&proof),
    }))
}

/// What a customer may see of an event's leaf: a v2 leaf and its access document; of a v1
/// leaf, which names the employee, only its hash.
pub struct ShownLeaf {
    pub hash: Hash,
    /// Empty when withheld.
    pub leaf: String,
    pub access: Option<String>,
}

pub fn shown_leaf(keys: &LogKeys, event: &AccessEventRow) -> Result<ShownLeaf, AppError> {
    let leaf = leaf_bytes(keys, event);
    let hash = record_hash(&leaf);
    if event.leaf_format == super::leaf::V1 {
        return Ok(ShownLeaf {
            hash,
            leaf: String::new(),
            access: None,
        });
    }
    let utf8 = |bytes: Vec<u8>| {
        String::from_utf8(bytes).map_err(|e| AppError::context("a leaf is not UTF-8", e))
    };
    let access = access_document(keys, &AccessFields::from(event));
    Ok(ShownLeaf {
        hash,
        leaf: utf8(leaf)?,
        access: Some(utf8(access)?),
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
