//! Applies the retention policy to the log's events (`db::retention` says what goes and what
//! stays) and signs what each pass removed: a note in the log's signed-note format stating the
//! log, the first day kept, the time and a digest of the leaf runs, signed by the checkpoint
//! key. `einblick audit` counts a missing leaf as removed under the policy only in a run such a
//! note covers, so writing to the database alone cannot disguise a deletion as retention. The
//! note's text cannot be read as a checkpoint (its second line is not a tree size).

use chrono::{NaiveDate, NaiveDateTime, SubsecRound};
use sha2::{Digest, Sha256};
use signed_note::{Note, VerifierList};

use super::keys::LogKeys;
use crate::db::retention::{self, RemovalPass, RetentionRun, StoredPass};
use crate::db::{log, AnyConnection};
use crate::domain::RetentionPolicy;
use crate::error::AppError;

pub fn apply(
    conn: &mut AnyConnection,
    keys: &LogKeys,
    policy: RetentionPolicy,
    now: NaiveDateTime,
) -> Result<RetentionRun, AppError> {
    // As the database keeps it, so the signed text reads the same when it is checked.
    let now = now.trunc_subsecs(6);
    let covered = log::latest_checkpoint(conn)?.map_or(0, |checkpoint| checkpoint.tree_size);
    retention::remove_before(conn, policy.oldest_kept(now), covered, now, &|pass| {
        sign(keys, pass)
    })
}

/// The signed note of `pass`.
fn sign(keys: &LogKeys, pass: &RemovalPass) -> Result<String, AppError> {
    let text = pass_text(keys.origin(), pass);
    let mut note = Note::new(text.as_bytes(), &[])
        .map_err(|e| AppError::internal(format!("retention note: {e}")))?;
    note.add_sigs(&[keys.signer()])
        .map_err(|e| AppError::internal(format!("signing a retention note: {e}")))?;
    String::from_utf8(note.to_bytes()).map_err(|_| AppError::internal("a signed note is not UTF-8"))
}

/// Whether `stored`'s note is signed by the log's key and states exactly its runs.
pub fn pass_holds(stored: &StoredPass, origin: &str, verifiers: &VerifierList) -> bool {
    let Ok(note) = Note::from_bytes(stored.note.as_bytes()) else {
        return false;
    };
    note.verify(verifiers).is_ok() && note.text() == pass_text(origin, &stored.pass).as_bytes()
}

/// What a customer's checker reads off a pass note: the first day kept, and the line that
/// states the leaf runs (to compare with the runs a bundle carries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassNote {
    pub removed_before: NaiveDate,
    pub leaf_runs_line: String,
}

/// Reads `note` if the log `origin`'s key (in `verifiers`) signed it and it is a pass note.
pub fn read_pass_note(note: &str, origin: &str, verifiers: &VerifierList) -> Option<PassNote> {
    let note = Note::from_bytes(note.as_bytes()).ok()?;
    note.verify(verifiers).ok()?;
    let text = std::str::from_utf8(note.text()).ok()?;
    let lines: Vec<&str> = text.lines().collect();
    let [log, PASS_LINE, removed_before, _removed_at, leaf_runs, _id_runs] = lines[..] else {
        return None;
    };
    if log != origin {
        return None;
    }
    Some(PassNote {
        removed_before: removed_before
            .strip_prefix("removed before ")?
            .parse()
            .ok()?,
        leaf_runs_line: leaf_runs.to_owned(),
    })
}

/// The note's line stating `runs`: their number and a SHA-256 of them.
pub fn runs_line(kind: &str, runs: &[(i64, i64)]) -> String {
    let mut digest = Sha256::new();
    for (first, end) in runs {
        digest.update(format!("{first}-{end}\n"));
    }
    format!(
        "{kind} {} sha256:{}",
        runs.len(),
        hex::encode(digest.finalize())
    )
}

const PASS_LINE: &str = "retention pass";

fn pass_text(origin: &str, pass: &RemovalPass) -> String {
    format!(
        "{origin}\n{PASS_LINE}\nremoved before {}\nremoved at {}\n{}\n{}\n",
        pass.removed_before,
        pass.removed_at.format("%Y-%m-%dT%H:%M:%S%.6fZ"),
        runs_line(LEAF_RUNS, &pass.leaf_runs),
        runs_line("event id runs", &pass.id_runs),
    )
}

pub const LEAF_RUNS: &str = "leaf runs";
