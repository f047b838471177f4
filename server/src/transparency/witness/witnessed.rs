//! Which checkpoint counts as witnessed: the newest one whose kept cosignatures make the policy's
//! quorum, read by proofs, reports and the timeline; and making one before a proof needs it.

use chrono::Utc;

use super::cosignature::with_cosignatures;
use super::policy::Policy;
use super::submit::{witness_id, Round, Witnessing, QUIET_AFTER_FAILURE};
use crate::db::log::{self, CheckpointRow};
use crate::db::witness as stored;
use crate::db::{AnyConnection, Database};
use crate::error::AppError;
use crate::transparency::proof::checkpoint_covering;
use crate::transparency::LogKeys;

/// A checkpoint's note with the cosignatures of the policy's witnesses, and who they are from
/// when they make the quorum (empty when they do not).
#[derive(Debug, Clone)]
pub struct WitnessedNote {
    pub note: String,
    pub by: Vec<String>,
}

/// Looking further back than this many checkpoints with enough cosignatures would mean the
/// witnesses disagree with the policy for a long time; proofs then use the latest, unwitnessed.
const LOOK_BACK: i64 = 20;

/// The newest checkpoint above leaf `leaf_index` whose cosignatures make the policy's quorum,
/// with its witnessed note; `None` if there is none yet.
pub fn newest_witnessed(
    conn: &mut AnyConnection,
    policy: &Policy,
    leaf_index: i64,
) -> Result<Option<(CheckpointRow, WitnessedNote)>, AppError> {
    let witnesses: Vec<String> = policy
        .witnesses
        .iter()
        .map(|w| witness_id(&w.key))
        .collect();
    let fewest = policy.fewest_cosigners() as i64;
    for size in stored::cosigned_sizes(conn, leaf_index, &witnesses, fewest, LOOK_BACK)? {
        let Some(checkpoint) = log::checkpoint_of_size(conn, size)? else {
            continue;
        };
        let witnessed = witnessed_note(conn, policy, &checkpoint)?;
        if !witnessed.by.is_empty() || fewest == 0 {
            return Ok(Some((checkpoint, witnessed)));
        }
    }
    Ok(None)
}

/// The checkpoint's note with the kept cosignatures of the policy's witnesses.
pub fn witnessed_note(
    conn: &mut AnyConnection,
    policy: &Policy,
    checkpoint: &CheckpointRow,
) -> Result<WitnessedNote, AppError> {
    let known: Vec<String> = policy
        .witnesses
        .iter()
        .map(|w| witness_id(&w.key))
        .collect();
    let lines: Vec<String> = stored::cosignatures_of(conn, checkpoint.tree_size)?
        .into_iter()
        .filter(|row| known.contains(&row.witness))
        .map(|row| row.signature_line)
        .collect();
    let note = with_cosignatures(&checkpoint.note, &lines);
    let checked = policy
        .check(note.as_bytes())
        .map_err(|e| AppError::internal(format!("a kept cosignature: {e}")))?;
    let by = match checked.satisfies_policy {
        true => checked.by,
        false => Vec::new(),
    };
    Ok(WitnessedNote { note, by })
}

/// Makes sure a witnessed checkpoint covers leaf `leaf_index` before a proof of it is made: if
/// none does yet, the latest checkpoint (signed now if it does not cover the leaf) goes to the
/// witnesses first. Blocking. While the witnesses failed lately, it does not wait for them: the
/// proof is made against the unwitnessed checkpoint, and a checker with the policy says so.
pub fn ensure_witnessed(
    db: &Database,
    keys: &LogKeys,
    witnessing: &Witnessing,
    leaf_index: i64,
) -> Result<(), AppError> {
    let covered = |db: &Database| -> Result<bool, AppError> {
        Ok(newest_witnessed(&mut *db.get()?, &witnessing.policy, leaf_index)?.is_some())
    };
    if covered(db)? {
        return Ok(());
    }
    witnessing.one_round(|last_failure| {
        // Another request may have had it witnessed while this one waited for its turn.
        match covered(db) {
            Ok(true) => return (Ok(()), Round::NotRun),
            Err(e) => return (Err(e), Round::NotRun),
            Ok(false) => {}
        }
        if last_failure.is_some_and(|at| at.elapsed() < QUIET_AFTER_FAILURE) {
            return (Ok(()), Round::NotRun);
        }
        let checkpoint = db.get().and_then(|mut conn| {
            checkpoint_covering(&mut conn, keys, leaf_index, Utc::now().naive_utc())
        });
        match checkpoint {
            Ok(checkpoint) => {
                let (_, failures) = witnessing.submit_to_all(db, &checkpoint);
                (Ok(()), Round::of(&failures))
            }
            Err(e) => (Err(e), Round::NotRun),
        }
    })
}
