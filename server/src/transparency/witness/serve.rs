//! `einblick witness serve`: a C2SP tlog-witness for Einblick logs (and any log that signs C2SP
//! checkpoints with Ed25519), for example at a supervisory authority. For each log it trusts it
//! keeps the size and root it last cosigned; it cosigns a new checkpoint only when the log's
//! signature verifies and a consistency proof shows the new tree extends that one. The new size
//! and root are on disk (written to a new file, synced, renamed over the old) before it answers,
//! so a crash never lets it cosign two different trees of one size.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use actix_web::http::StatusCode;
use actix_web::{web, App, HttpResponse, HttpServer};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use signed_note::{Note, StandardVerifier, VerifierList};
use tlog_tiles::{Checkpoint, Hash};

use super::cosignature::WitnessSigner;
use super::protocol::{AddCheckpoint, ADD_CHECKPOINT, SIZE_CONTENT_TYPE};
use crate::transparency::keys::{create_private_dir, write_private};

const KEY_FILE: &str = "witness-signing.key";
const VERIFIER_KEY_FILE: &str = "witness.vkey";
const STATE_FILE: &str = "witness-state.json";
const KEY_PREFIX: &str = "EINBLICK-WITNESS-KEY";
/// Far more than a request with 63 proof hashes and a checkpoint with many signatures needs.
const MAX_BODY: usize = 64 * 1024;

/// Why a checkpoint was not cosigned; each maps to the status code the spec gives it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    Malformed(String),
    #[error("this witness does not know the log {0:?}")]
    UnknownLog(String),
    #[error("the checkpoint is not signed by the log's key")]
    NotSignedByLog,
    /// The request's old size is not the size this witness last cosigned for the log.
    #[error("this witness last cosigned size {0} of this log")]
    OtherSize(u64),
    /// A checkpoint of the size this witness cosigned, with another root: a split view.
    #[error("this witness cosigned another tree of size {0} of this log")]
    OtherRoot(u64),
    #[error("the consistency proof does not show that the checkpoint extends size {0}")]
    Inconsistent(u64),
    #[error("the witness cannot store its state: {0}")]
    Storage(String),
}

impl Refusal {
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::Malformed(_) => StatusCode::BAD_REQUEST,
            Refusal::UnknownLog(_) => StatusCode::NOT_FOUND,
            Refusal::NotSignedByLog => StatusCode::FORBIDDEN,
            Refusal::OtherSize(_) | Refusal::OtherRoot(_) => StatusCode::CONFLICT,
            Refusal::Inconsistent(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Refusal::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct LogState {
    size: u64,
    /// Base64 root hash of `size`.
    root: String,
}

/// The witness: its key, the logs it trusts, and what it cosigned of each.
pub struct Witness {
    signer: WitnessSigner,
    logs: BTreeMap<String, String>,
    state_path: PathBuf,
    /// Held from reading the state to writing it, so two requests cannot both extend one size.
    state: Mutex<BTreeMap<String, LogState>>,
}

#[derive(Debug, thiserror::Error)]
#[error("witness {path}: {problem}")]
pub struct WitnessSetupError {
    pub path: PathBuf,
    pub problem: String,
}

impl Witness {
    /// Loads the witness's key and state from `dir`, creating the key (named `name`) at first
    /// start. `log_keys` are the signed-note verifier keys of the logs it witnesses.
    pub fn open(
        dir: &Path,
        name: Option<&str>,
        log_keys: &[String],
    ) -> Result<Witness, WitnessSetupError> {
        let fail = |path: &Path, problem: String| WitnessSetupError {
            path: path.to_path_buf(),
            problem,
        };
        create_private_dir(dir).map_err(|e| fail(dir, format!("cannot create ({e})")))?;
        let signer = load_or_create_key(dir, name)?;
        let verifier_path = dir.join(VERIFIER_KEY_FILE);
        std::fs::write(&verifier_path, format!("{}\n", signer.public().encode()))
            .map_err(|e| fail(&verifier_path, format!("cannot write ({e})")))?;
        let mut logs = BTreeMap::new();
        for key in log_keys {
            let verifier = StandardVerifier::new(key.trim()).map_err(|_| {
                fail(
                    dir,
                    format!("{key:?} is not a log's signed-note verifier key"),
                )
            })?;
            let origin = signed_note::Verifier::name(&verifier).to_owned();
            if logs.insert(origin.clone(), key.trim().to_owned()).is_some() {
                return Err(fail(
                    dir,
                    format!("two keys are given for the log {origin:?}"),
                ));
            }
        }
        let state_path = dir.join(STATE_FILE);
        let state = match std::fs::read(&state_path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| fail(&state_path, format!("is not a witness state ({e})")))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(fail(&state_path, format!("cannot read ({e})"))),
        };
        Ok(Witness {
            signer,
            logs,
            state_path,
            state: Mutex::new(state),
        })
    }

    pub fn signer(&self) -> &WitnessSigner {
        &self.signer
    }

    /// The C2SP tlog-witness `add-checkpoint` decision: a cosignature line, or why not.
    pub fn add_checkpoint(&self, body: &[u8], now_seconds: u64) -> Result<String, Refusal> {
        let request = AddCheckpoint::parse(body).map_err(|e| Refusal::Malformed(e.to_string()))?;
        let note = Note::from_bytes(&request.checkpoint_note)
            .map_err(|_| Refusal::Malformed("the checkpoint is not a signed note".into()))?;
        let checkpoint = Checkpoint::from_bytes(note.text())
            .map_err(|_| Refusal::Malformed("the note is not a C2SP checkpoint".into()))?;
        let origin = checkpoint.origin().to_owned();
        let log_key = self
            .logs
            .get(&origin)
            .ok_or_else(|| Refusal::UnknownLog(origin.clone()))?;
        let verifier = StandardVerifier::new(log_key).map_err(|_| Refusal::NotSignedByLog)?;
        note.verify(&VerifierList::new(vec![Box::new(verifier)]))
            .map_err(|_| Refusal::NotSignedByLog)?;

        // The state in memory only changes after it is on disk, so a request that panicked
        // midway left it as it was: the lock can be taken over.
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let known = state.get(&origin).cloned().unwrap_or(LogState {
            size: 0,
            root: String::new(),
        });
        let new_size = checkpoint.size();
        let new_root = STANDARD.encode(checkpoint.hash().0);
        if request.old_size > new_size {
            return Err(Refusal::Malformed(format!(
                "the old size {} is larger than the checkpoint's {new_size}",
                request.old_size
            )));
        }
        if request.old_size != known.size {
            return Err(Refusal::OtherSize(known.size));
        }
        if request.old_size == new_size {
            if known.size > 0 && known.root != new_root {
                return Err(Refusal::OtherRoot(known.size));
            }
            if !request.proof.is_empty() {
                return Err(Refusal::Inconsistent(known.size));
            }
        } else if known.size == 0 {
            if !request.proof.is_empty() {
                return Err(Refusal::Inconsistent(0));
            }
        } else {
            let old_root = decode_root(&known.root)
                .ok_or_else(|| Refusal::Storage("a stored root is not base64".into()))?;
            tlog_tiles::check_tree(
                &request.proof,
                new_size,
                *checkpoint.hash(),
                known.size,
                old_root,
            )
            .map_err(|_| Refusal::Inconsistent(known.size))?;
        }
        let next = LogState {
            size: new_size,
            root: new_root,
        };
        if state.get(&origin) != Some(&next) {
            let mut updated = state.clone();
            updated.insert(origin, next);
            persist(&self.state_path, &updated).map_err(|e| Refusal::Storage(e.to_string()))?;
            *state = updated;
        }
        Ok(self.signer.cosign(note.text(), now_seconds))
    }
}

fn decode_root(root: &str) -> Option<Hash> {
    let bytes: [u8; 32] = STANDARD.decode(root).ok()?.try_into().ok()?;
    Some(Hash(bytes))
}

/// Writes the state to a new file, syncs it, renames it over the old one and syncs the folder.
fn persist(path: &Path, state: &BTreeMap<String, LogState>) -> std::io::Result<()> {
    let json = serde_json::to_vec_pretty(state).map_err(std::io::Error::other)?;
    let temporary = path.with_extension("json.new");
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(&json)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

fn load_or_create_key(dir: &Path, name: Option<&str>) -> Result<WitnessSigner, WitnessSetupError> {
    let path = dir.join(KEY_FILE);
    let fail = |problem: String| WitnessSetupError {
        path: path.clone(),
        problem,
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let name = name.ok_or_else(|| {
                fail("does not exist yet: give the witness a name with --name".into())
            })?;
            if !signed_note::is_key_name_valid(name) {
                return Err(fail(format!(
                    "{name:?} cannot name a key (no spaces or '+')"
                )));
            }
            let seed: [u8; 32] = rand::random();
            let text = format!("{KEY_PREFIX}+{name}+{}", STANDARD.encode(seed));
            write_private(&path, text.as_bytes())
                .map_err(|e| fail(format!("cannot write ({e})")))?;
            text
        }
        Err(e) => return Err(fail(format!("cannot read ({e})"))),
    };
    let mut parts = text.trim().splitn(3, '+');
    let (Some(KEY_PREFIX), Some(key_name), Some(seed)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(fail("is not an Einblick witness key".into()));
    };
    let seed: [u8; 32] = STANDARD
        .decode(seed)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| fail("is not an Einblick witness key".into()))?;
    if let Some(name) = name.filter(|name| *name != key_name) {
        return Err(fail(format!(
            "was made for the witness {key_name:?}, not {name:?}; a witness keeps its name"
        )));
    }
    Ok(WitnessSigner::new(
        key_name,
        ed25519_dalek::SigningKey::from_bytes(&seed),
    ))
}

async fn add_checkpoint(witness: web::Data<Arc<Witness>>, body: web::Bytes) -> HttpResponse {
    let witness = witness.get_ref().clone();
    let now = chrono::Utc::now().timestamp().max(0) as u64;
    let decided = web::block(move || witness.add_checkpoint(&body, now)).await;
    match decided {
        Ok(Ok(cosignature)) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body(cosignature),
        Ok(Err(Refusal::OtherSize(size))) => HttpResponse::Conflict()
            .content_type(SIZE_CONTENT_TYPE)
            .body(format!("{size}\n")),
        Ok(Err(refusal)) => {
            tracing::info!(%refusal, "refused a checkpoint");
            HttpResponse::build(refusal.status())
                .content_type("text/plain; charset=utf-8")
                .body(format!("{refusal}\n"))
        }
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

/// Serves the witness on `listen` until the process is stopped.
pub fn serve(witness: Witness, listen: &str) -> std::io::Result<()> {
    let witness = Arc::new(witness);
    let key = witness.signer().public().encode();
    let name = witness.signer().public().name().to_owned();
    let logs = witness.logs.len();
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(witness.clone()))
                .app_data(web::PayloadConfig::new(MAX_BODY))
                .route(ADD_CHECKPOINT, web::post().to(add_checkpoint))
        })
        .workers(2)
        // Answers go out without waiting for the log's acknowledgement of the previous write.
        .tcp_nodelay(true)
        .bind(listen)?;
        let address = server
            .addrs()
            .first()
            .map_or_else(|| listen.to_owned(), ToString::to_string);
        tracing::info!(%key, logs, "witness serving on {address}");
        println!(
            "Einblick witness {name} is serving http://{address}\n  its key: {key}\n  \
             for a log's witness policy: witness NAME {key} http://{address}"
        );
        server.run().await
    })
}
