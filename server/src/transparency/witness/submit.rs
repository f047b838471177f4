//! The log's side of witnessing: a checkpoint goes to each witness of the policy that has a URL,
//! with a consistency proof from the size that witness last cosigned (C2SP tlog-witness
//! `add-checkpoint`), all witnesses at once. A 409 with the witness's size is answered once more
//! from that size; that size is never stored on the witness's word, only a size it cosigned
//! (checked against its key). 422 (inconsistent), 403 (not our key), 404 (log unknown), 400 and a
//! 409 without a size are logged as errors and not retried: a witness refusing is the alarm it
//! exists for.

use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;

use super::cosignature::WitnessKey;
use super::policy::{split_note, Policy, Witness};
use super::protocol::{AddCheckpoint, ADD_CHECKPOINT, SIZE_CONTENT_TYPE};
use crate::db::log::{self, CheckpointRow};
use crate::db::witness::{self as stored, CosignatureRow};
use crate::db::{AnyConnection, Database};
use crate::error::AppError;
use crate::transparency::proof::consistency_proof;

/// A witness gets this long to answer; a checkpoint's witnessing waits for the slowest.
const TIMEOUT: Duration = Duration::from_secs(5);
/// A witness's answer is a few signature lines; more than this is not read.
const MAX_ANSWER: u64 = 16 * 1024;
/// After a failed round, proofs do not wait for the witnesses again for this long (the cadence
/// keeps trying); they are made against the unwitnessed checkpoint meanwhile.
pub const QUIET_AFTER_FAILURE: Duration = Duration::from_secs(30);

/// The configured policy and an HTTP client for its witnesses.
pub struct Witnessing {
    pub policy: Policy,
    agent: ureq::Agent,
    /// One round of submissions at a time: a customer's proof and the cadence never send the
    /// same checkpoint twice at once, and a witness that is down is waited for once.
    round: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Witnessing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Witnessing")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// How a round of submissions went, for the next one.
pub(super) enum Round {
    Failed,
    Succeeded,
    NotRun,
}

impl Round {
    pub(super) fn of(failures: &[WitnessFailure]) -> Round {
        match failures.is_empty() {
            true => Round::Succeeded,
            false => Round::Failed,
        }
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
    #[error("{witness} has cosigned size {size} already, newer than this checkpoint")]
    AlreadyNewer { witness: String, size: i64 },
    #[error(
        "{witness} says it cosigned size {size} of this log, a size it never signed a checkpoint \
         of: the log's key has signed a tree this database does not hold"
    )]
    UnknownSize { witness: String, size: i64 },
    #[error(transparent)]
    Local(#[from] AppError),
}

impl WitnessFailure {
    /// A refusal or a size the log never signed may be a split view: an alarm, not a hiccup.
    fn is_alarm(&self) -> bool {
        matches!(
            self,
            WitnessFailure::Refused { .. }
                | WitnessFailure::UnknownSize { .. }
                | WitnessFailure::NoCosignature { .. }
        )
    }
}

/// The identity a witness's rows are kept under: its key's name and id.
pub fn witness_id(key: &WitnessKey) -> String {
    format!("{}+{:08x}", key.name(), key.key_id())
}

impl Witnessing {
    pub fn new(policy: Policy) -> Witnessing {
        let agent = ureq::AgentBuilder::new()
            .timeout(TIMEOUT)
            .redirects(0)
            .user_agent(concat!("einblick/", env!("CARGO_PKG_VERSION")))
            .build();
        Witnessing {
            policy,
            agent,
            round: Mutex::new(None),
        }
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

    /// Runs `work` as the only round of submissions; it learns when the last round failed.
    pub(super) fn one_round<T>(&self, work: impl FnOnce(Option<Instant>) -> (T, Round)) -> T {
        let mut last_failure = self.round.lock().unwrap_or_else(|e| e.into_inner());
        let (outcome, round) = work(*last_failure);
        match round {
            Round::Failed => *last_failure = Some(Instant::now()),
            Round::Succeeded => *last_failure = None,
            Round::NotRun => {}
        }
        outcome
    }

    /// Submits `checkpoint` to every witness with a URL, in parallel, and keeps what they
    /// cosign. Returns the policy names of the witnesses that cosigned, and the failures.
    pub fn witness(
        &self,
        db: &Database,
        checkpoint: &CheckpointRow,
    ) -> (Vec<String>, Vec<WitnessFailure>) {
        self.one_round(|_| {
            let outcome = self.submit_to_all(db, checkpoint);
            let round = Round::of(&outcome.1);
            (outcome, round)
        })
    }

    /// [`Witnessing::witness`] within a round already taken.
    pub(super) fn submit_to_all(
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
                Err(failure) if failure.is_alarm() => {
                    tracing::error!(%failure, tree_size = checkpoint.tree_size, "a witness refused a checkpoint");
                    failures.push(failure);
                }
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
        let newer = |size: i64| WitnessFailure::AlreadyNewer {
            witness: witness.name.clone(),
            size,
        };
        let mut old_size = stored::cosigned_size(&mut *db.get()?, &id).map_err(AppError::from)?;
        if old_size > checkpoint.tree_size {
            return Err(newer(old_size));
        }
        let mut asked_again = false;
        loop {
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
            let refused = |status: u16, response: ureq::Response| WitnessFailure::Refused {
                witness: witness.name.clone(),
                status,
                body: read_answer(response)
                    .unwrap_or_default()
                    .trim()
                    .chars()
                    .take(300)
                    .collect(),
            };
            match response {
                Ok(response) => {
                    let answer =
                        read_answer(response).map_err(|e| WitnessFailure::Unreachable {
                            witness: witness.name.clone(),
                            problem: e.to_string(),
                        })?;
                    return self.keep(db, witness, &id, checkpoint, &answer);
                }
                Err(ureq::Error::Status(409, response))
                    if response.header("Content-Type") == Some(SIZE_CONTENT_TYPE) =>
                {
                    let answer = read_answer(response).unwrap_or_default();
                    let Some(size) = parse_size(&answer) else {
                        return Err(WitnessFailure::Refused {
                            witness: witness.name.clone(),
                            status: 409,
                            body: answer.chars().take(300).collect(),
                        });
                    };
                    if size > checkpoint.tree_size {
                        let signed = log::checkpoint_of_size(&mut *db.get()?, size)
                            .map_err(AppError::from)?;
                        return Err(match signed {
                            Some(_) => newer(size),
                            None => WitnessFailure::UnknownSize {
                                witness: witness.name.clone(),
                                size,
                            },
                        });
                    }
                    if asked_again || size == old_size {
                        return Err(WitnessFailure::Refused {
                            witness: witness.name.clone(),
                            status: 409,
                            body: format!("{size}\n"),
                        });
                    }
                    asked_again = true;
                    old_size = size;
                }
                Err(ureq::Error::Status(status, response)) => {
                    return Err(refused(status, response))
                }
                Err(ureq::Error::Transport(e)) => {
                    return Err(WitnessFailure::Unreachable {
                        witness: witness.name.clone(),
                        problem: e.to_string(),
                    })
                }
            }
        }
    }

    /// Keeps the witness's cosignature of `checkpoint` from its answer, once it verifies, and
    /// raises the size it is known to have cosigned.
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
            .take(16)
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
            stored::raise_cosigned_size(conn, id, checkpoint.tree_size)?;
            Ok(())
        })?;
        Ok(())
    }
}

fn read_answer(response: ureq::Response) -> std::io::Result<String> {
    let mut answer = String::new();
    response
        .into_reader()
        .take(MAX_ANSWER)
        .read_to_string(&mut answer)?;
    Ok(answer)
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

/// Witnesses a checkpoint the cadence signed, on the blocking pool, without holding up the
/// cadence.
pub fn witness_in_background(db: Database, witnessing: Arc<Witnessing>, checkpoint: CheckpointRow) {
    actix_web::rt::spawn(async move {
        let started = Instant::now();
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
    });
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
