//! The log's side of witnessing: every new checkpoint goes to each witness of the policy that
//! has a URL, with a consistency proof from the size that witness last cosigned (C2SP
//! tlog-witness `add-checkpoint`), all witnesses at once. A 409 tells the witness's size; the
//! request is then made once more from there. 422 (inconsistent), 403 (not our key), 404 (log
//! unknown) and 400 are logged and not retried: a witness refusing is the alarm it exists for.
//! Each cosignature is checked against the witness's key before it is kept.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use super::cosignature::WitnessKey;
use super::policy::{split_note, Policy, Witness};
use super::protocol::{AddCheckpoint, ADD_CHECKPOINT, SIZE_CONTENT_TYPE};
use crate::db::log::{self, CheckpointRow};
use crate::db::witness::{self as stored, CosignatureRow};
use crate::db::{AnyConnection, Database};
use crate::error::AppError;
use crate::transparency::proof::{checkpoint_covering, consistency_proof};
use crate::transparency::LogKeys;

/// A witness gets this long to answer; a checkpoint's witnessing waits for the slowest.
const TIMEOUT: Duration = Duration::from_secs(5);

/// The configured policy and an HTTP client for its witnesses.
pub struct Witnessing {
    pub policy: Policy,
    agent: ureq::Agent,
}

impl std::fmt::Debug for Witnessing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Witnessing")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// Why a witness did not cosign.
#[derive(Debug, thiserror::Error)]
pub enum WitnessFailure {
    #[error("{witness} cannot be reached: {problem}")]
    Unreachable { witness: String, problem: String },
    #[error("{witness} refused the checkpoint ({status}): {body}")]
    Refused {
        witness: String,
        status: u16,
        body: String,
    },
    #[error("{witness} answered with no valid cosignature by its key")]
    NoCosignature { witness: String },
    #[error(
        "{witness} says it cosigned size {size}, a size this log never signed a checkpoint of"
    )]
    UnknownSize { witness: String, size: i64 },
    #[error(transparent)]
    Local(#[from] AppError),
}

/// The identity a witness's rows are kept under: its key's name and id.
pub fn witness_id(key: &WitnessKey) -> String {
    format!("{}+{:08x}", key.name(), key.key_id())
}

impl Witnessing {
    pub fn new(policy: Policy) -> Witnessing {
        let agent = ureq::AgentBuilder::new()
            .timeout(TIMEOUT)
            .user_agent(concat!("einblick/", env!("CARGO_PKG_VERSION")))
            .build();
        Witnessing { policy, agent }
    }

    /// Loads the policy file named by `EINBLICK_WITNESS_POLICY`.
    pub fn load(path: &std::path::Path) -> Result<Witnessing, AppError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            AppError::internal(format!(
                "cannot read the witness policy {}: {e}",
                path.display()
            ))
        })?;
        let policy = Policy::parse(&text)
            .map_err(|e| AppError::internal(format!("{}: {e}", path.display())))?;
        Ok(Witnessing::new(policy))
    }

    /// Submits `checkpoint` to every witness with a URL, in parallel, and keeps what they
    /// cosign. Returns the policy names of the witnesses that cosigned, and the failures.
    pub fn witness(
        &self,
        db: &Database,
        checkpoint: &CheckpointRow,
    ) -> (Vec<String>, Vec<WitnessFailure>) {
        let submitted: Vec<_> = std::thread::scope(|scope| {
            let running: Vec<_> = self
                .policy
                .witnesses
                .iter()
                .filter_map(|witness| Some((witness, witness.url.as_deref()?)))
                .map(|(witness, url)| {
                    let handle = scope.spawn(move || self.submit(db, witness, url, checkpoint));
                    (witness, handle)
                })
                .collect();
            running
                .into_iter()
                .map(|(witness, handle)| {
                    let outcome = handle.join().unwrap_or_else(|_| {
                        Err(WitnessFailure::Local(AppError::internal(
                            "a witness request panicked",
                        )))
                    });
                    (witness.name.clone(), outcome)
                })
                .collect()
        });
        let mut cosigned = Vec::new();
        let mut failures = Vec::new();
        for (name, outcome) in submitted {
            match outcome {
                Ok(()) => cosigned.push(name),
                Err(failure) => {
                    tracing::warn!(%failure, tree_size = checkpoint.tree_size, "a witness did not cosign");
                    failures.push(failure);
                }
            }
        }
        (cosigned, failures)
    }

    fn submit(
        &self,
        db: &Database,
        witness: &Witness,
        url: &str,
        checkpoint: &CheckpointRow,
    ) -> Result<(), WitnessFailure> {
        let id = witness_id(&witness.key);
        let mut old_size = stored::cosigned_size(&mut *db.get()?, &id).map_err(AppError::from)?;
        for attempt in 0..2 {
            if old_size > checkpoint.tree_size {
                // It has cosigned a newer checkpoint already (another server was faster).
                return Ok(());
            }
            let proof = proof_from(&mut *db.get()?, &witness.name, old_size, checkpoint)?;
            let request = AddCheckpoint {
                old_size: old_size as u64,
                proof,
                checkpoint_note: checkpoint.note.as_bytes().to_vec(),
            };
            let response = self
                .agent
                .post(&format!("{url}{ADD_CHECKPOINT}"))
                .set("Content-Type", "text/plain")
                .send_bytes(&request.encode());
            match response {
                Ok(response) => {
                    let body = response
                        .into_string()
                        .map_err(|e| WitnessFailure::Unreachable {
                            witness: witness.name.clone(),
                            problem: e.to_string(),
                        })?;
                    return self.keep(db, witness, &id, checkpoint, &body);
                }
                Err(ureq::Error::Status(409, response))
                    if attempt == 0 && response.content_type() == SIZE_CONTENT_TYPE =>
                {
                    let body = response.into_string().unwrap_or_default();
                    old_size = parse_size(&body).ok_or_else(|| WitnessFailure::Refused {
                        witness: witness.name.clone(),
                        status: 409,
                        body: body.clone(),
                    })?;
                    stored::set_cosigned_size(&mut *db.get()?, &id, old_size)
                        .map_err(AppError::from)?;
                }
                Err(ureq::Error::Status(status, response)) => {
                    let body = response.into_string().unwrap_or_default();
                    return Err(WitnessFailure::Refused {
                        witness: witness.name.clone(),
                        status,
                        body: body.trim().chars().take(300).collect(),
                    });
                }
                Err(ureq::Error::Transport(e)) => {
                    return Err(WitnessFailure::Unreachable {
                        witness: witness.name.clone(),
                        problem: e.to_string(),
                    })
                }
            }
        }
        Err(WitnessFailure::Refused {
            witness: witness.name.clone(),
            status: 409,
            body: "its size changed twice while asked".into(),
        })
    }

    /// Keeps the witness's cosignature of `checkpoint` from its answer, once it verifies.
    fn keep(
        &self,
        db: &Database,
        witness: &Witness,
        id: &str,
        checkpoint: &CheckpointRow,
        answer: &str,
    ) -> Result<(), WitnessFailure> {
        let (text, _) = split_note(checkpoint.note.as_bytes())
            .ok_or_else(|| AppError::internal("a stored checkpoint is not a signed note"))?;
        let line = answer
            .lines()
            .find(|line| {
                signed_note::Signature::from_bytes(line.as_bytes()).is_ok_and(|signature| {
                    signature.name() == witness.key.name()
                        && signature.id() == witness.key.key_id()
                        && witness.key.verify(text, signature.signature()).is_some()
                })
            })
            .ok_or_else(|| WitnessFailure::NoCosignature {
                witness: witness.name.clone(),
            })?;
        let row = CosignatureRow {
            tree_size: checkpoint.tree_size,
            witness: id.to_owned(),
            signature_line: line.to_owned(),
            cosigned_at: Utc::now().naive_utc(),
        };
        crate::db::write_transaction(&mut *db.get()?, |conn| {
            stored::store_cosignature(conn, &row)?;
            let known = stored::cosigned_size(conn, id)?;
            stored::set_cosigned_size(conn, id, known.max(checkpoint.tree_size))?;
            Ok(())
        })?;
        Ok(())
    }
}

/// The consistency proof from `old_size` (a size the witness cosigned) to `checkpoint`.
fn proof_from(
    conn: &mut AnyConnection,
    witness: &str,
    old_size: i64,
    checkpoint: &CheckpointRow,
) -> Result<Vec<tlog_tiles::Hash>, WitnessFailure> {
    if old_size == 0 || old_size == checkpoint.tree_size {
        return Ok(Vec::new());
    }
    let old = log::checkpoint_of_size(conn, old_size)
        .map_err(AppError::from)?
        .ok_or_else(|| WitnessFailure::UnknownSize {
            witness: witness.to_owned(),
            size: old_size,
        })?;
    Ok(consistency_proof(conn, &old, checkpoint)?)
}

/// A `text/x.tlog.size` body: a decimal number without leading zeros and a newline.
fn parse_size(body: &str) -> Option<i64> {
    let digits = body.strip_suffix('\n')?;
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    canonical.then(|| digits.parse().ok()).flatten()
}

/// The newest checkpoint above leaf `leaf_index` whose cosignatures satisfy the policy, with
/// those cosignature lines; `None` if there is none yet.
pub fn newest_witnessed(
    conn: &mut AnyConnection,
    policy: &Policy,
    leaf_index: i64,
) -> Result<Option<(CheckpointRow, Vec<String>)>, AppError> {
    // A checkpoint only some witnesses cosigned is skipped; a few of them in a row is plenty to
    // look through before the answer is "not yet".
    for size in stored::cosigned_sizes(conn, leaf_index, 20)? {
        let lines = cosignature_lines(conn, policy, size)?;
        let Some(checkpoint) = log::checkpoint_of_size(conn, size)? else {
            continue;
        };
        let note = super::cosignature::with_cosignatures(&checkpoint.note, &lines);
        if policy
            .check(note.as_bytes())
            .is_ok_and(|w| w.satisfies_policy)
        {
            return Ok(Some((checkpoint, lines)));
        }
    }
    Ok(None)
}

/// The stored cosignature lines of the checkpoint of `size` by witnesses of `policy`.
pub fn cosignature_lines(
    conn: &mut AnyConnection,
    policy: &Policy,
    size: i64,
) -> Result<Vec<String>, AppError> {
    let known: Vec<String> = policy
        .witnesses
        .iter()
        .map(|w| witness_id(&w.key))
        .collect();
    Ok(stored::cosignatures_of(conn, size)?
        .into_iter()
        .filter(|row| known.contains(&row.witness))
        .map(|row| row.signature_line)
        .collect())
}

/// Makes sure a witnessed checkpoint covers leaf `leaf_index` before a proof of it is made: if
/// none does yet, the latest checkpoint (signed now if it does not cover the leaf) goes to the
/// witnesses first. Blocking. When witnesses fail, the proof is made against the unwitnessed
/// checkpoint, and a checker with the policy says so.
pub fn ensure_witnessed(
    db: &Database,
    keys: &LogKeys,
    witnessing: &Witnessing,
    leaf_index: i64,
) -> Result<(), AppError> {
    let checkpoint = {
        let mut conn = db.get()?;
        if newest_witnessed(&mut conn, &witnessing.policy, leaf_index)?.is_some() {
            return Ok(());
        }
        checkpoint_covering(&mut conn, keys, leaf_index, Utc::now().naive_utc())?
    };
    witnessing.witness(db, &checkpoint);
    Ok(())
}

/// Witnesses every checkpoint the cadence signs: called after each one, off the async workers.
pub async fn witness_in_background(
    db: Database,
    witnessing: Arc<Witnessing>,
    checkpoint: CheckpointRow,
) {
    let started = std::time::Instant::now();
    let done =
        actix_web::rt::task::spawn_blocking(move || witnessing.witness(&db, &checkpoint)).await;
    match done {
        Ok((cosigned, failures)) => tracing::info!(
            cosigned = cosigned.len(),
            failed = failures.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "witnessed a checkpoint"
        ),
        Err(e) => tracing::error!(error = %e, "witnessing a checkpoint failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn a_witness_size_is_canonical_decimal() {
        assert_eq!(parse_size("50\n"), Some(50));
        assert_eq!(parse_size("0\n"), Some(0));
        for bad in ["50", "050\n", "", "\n", "5 0\n", "-1\n"] {
            assert_eq!(parse_size(bad), None, "{bad:?}");
        }
    }
}
