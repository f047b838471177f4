//! The proof bundle a customer downloads for one timeline entry, and its offline check
//! (`einblick verify`): the checkpoint's signature against a public key the checker trusts, the
//! leaf's hash, the RFC 6962 inclusion path from the leaf to the checkpoint's root, and for a v2
//! leaf the access document it commits to. A v1 leaf names the employee, so a bundle for one
//! carries only its hash: the entry's place in the log is proven, its logged text is not shown.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use signed_note::{Note, StandardVerifier, VerifierList};
use tlog_tiles::{record_hash, Checkpoint, Hash};

pub const BUNDLE_FORMAT: &str = "einblick.proof-bundle.v2";
/// Bundles downloaded before v2 leaves: still checked.
pub const BUNDLE_FORMAT_V1: &str = "einblick.proof-bundle.v1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofBundle {
    pub format: String,
    /// The log's name, as in the checkpoint's first line.
    pub log_origin: String,
    /// The key the log says it signs with. A checker should compare it with the key the log
    /// publishes, or better one obtained elsewhere, rather than trust the bundle.
    pub log_public_key: String,
    /// The signed checkpoint (C2SP tlog-checkpoint in a C2SP signed note), verbatim, with the
    /// witnesses' cosignatures (C2SP tlog-cosignature) as further signature lines.
    pub checkpoint: String,
    pub leaf_index: u64,
    /// The leaf: canonical JSON (RFC 8785); its RFC 6962 leaf hash is SHA-256(0x00 ‖ these
    /// UTF-8 bytes). Empty when the leaf is withheld (format v1, which names the employee).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub leaf: String,
    /// The RFC 6962 leaf hash, hex, when the leaf itself is withheld.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaf_hash: Option<String>,
    /// The access document a v2 leaf commits to (its SHA-256 is the leaf's `access`): canonical
    /// JSON of what happened, the employee as a keyed hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<String>,
    /// The inclusion proof (RFC 6962 audit path), base64 hashes from the leaf up.
    pub inclusion_proof: Vec<String>,
    /// The witnesses (by the names of the log's witness policy) whose cosignatures are on the
    /// checkpoint. For people; a checker counts the cosignatures it can verify itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub witnessed_by: Vec<String>,
    /// For the person who downloaded it: how to check it. Not part of what is verified.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub how_to_verify: String,
}

/// What `how_to_verify` says, in the customer's language.
pub fn how_to_verify(lang: app::i18n::Lang, key_url: &str) -> String {
    match lang {
        app::i18n::Lang::De => format!(
            "Dieser Nachweis zeigt, dass der Zugriff in \"leaf\" unverändert im signierten, nur \
             fortschreibbaren Zugriffsprotokoll steht. Prüfen: einblick verify DATEI --key \
             SCHLÜSSEL, mit dem öffentlichen Schlüssel von {key_url} (am besten aus einer zweiten \
             Quelle bestätigt). Jede Umsetzung von RFC 6962 und C2SP tlog-checkpoint kann ihn \
             ebenso prüfen: Blatt-Hash = SHA-256(0x00 ‖ leaf), Prüfpfad = inclusion_proof, \
             Wurzel und Signatur im checkpoint."
        ),
        app::i18n::Lang::En => format!(
            "This proof shows that the access in \"leaf\" is in the signed, append-only access \
             log, unchanged. To check it: einblick verify FILE --key KEY, with the public key \
             from {key_url} (best confirmed from a second source). Any implementation of RFC \
             6962 and C2SP tlog-checkpoint can check it too: leaf hash = SHA-256(0x00 ‖ leaf), \
             audit path = inclusion_proof, root and signature in checkpoint."
        ),
    }
}

/// What the whole-timeline bundle's `how_to_verify` says, in the customer's language.
pub fn how_to_verify_timeline(lang: app::i18n::Lang, key_url: &str) -> String {
    match lang {
        app::i18n::Lang::De => format!(
            "Diese Datei enthält Ihre gesamte Zugriffshistorie als Kette: Jeder Eintrag nennt \
             den vorherigen mit dessen Hash und zählt mit. Prüfen: einblick verify-timeline \
             DATEI --key SCHLÜSSEL, mit dem öffentlichen Schlüssel von {key_url}. Fehlt ein \
             Eintrag oder wurde einer geändert, schlägt die Prüfung fehl. Mit --earlier \
             ÄLTERE_DATEI wird außerdem geprüft, dass jeder Eintrag einer früher geladenen \
             Datei noch da ist. Zurückgehaltene Einträge stehen ohne Inhalt in der Kette."
        ),
        app::i18n::Lang::En => format!(
            "This file holds your whole access history as a chain: each entry names the one \
             before it by its hash and counts on. To check it: einblick verify-timeline FILE \
             --key KEY, with the public key from {key_url}. If an entry is missing or changed, \
             the check fails. With --earlier OLDER_FILE it also checks that every entry of a \
             file you downloaded before is still there. Held-back entries are in the chain \
             without their content."
        ),
    }
}

/// What a bundle proves once it checks out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub origin: String,
    pub tree_size: u64,
    pub root: String,
    pub leaf_index: u64,
    /// The leaf, or `Null` when it was withheld.
    pub leaf: serde_json::Value,
    /// The access (v2: the access document; v1: the leaf itself), or `Null` when withheld.
    pub access: serde_json::Value,
}

/// Which check a bundle failed, said for a person.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("this is not an Einblick proof bundle ({0})")]
    NotABundle(serde_json::Error),
    #[error("unknown bundle format {0:?} (expected {BUNDLE_FORMAT})")]
    UnknownFormat(String),
    #[error("the public key is not a signed-note Ed25519 verifier key (origin+keyid+base64)")]
    BadKey,
    #[error("the checkpoint is not a well-formed signed note")]
    BadNote,
    #[error("the checkpoint's signature does not verify with this public key")]
    BadSignature,
    #[error("the signed text is not a C2SP checkpoint")]
    NotACheckpoint,
    #[error("the checkpoint is for the log {checkpoint:?}, the key for {key:?}")]
    OtherLog { checkpoint: String, key: String },
    #[error("the inclusion proof holds something that is not a base64 SHA-256 hash")]
    BadHash,
    #[error(
        "the leaf is not entry {0} of the log at this checkpoint: its inclusion proof does not \
         lead to the signed root"
    )]
    NotIncluded(u64),
    #[error("the leaf is not JSON")]
    LeafNotJson,
    #[error("the leaf is not in canonical JSON form (RFC 8785)")]
    NotCanonical,
    #[error("the bundle holds neither a leaf nor a leaf hash")]
    NoLeaf,
    #[error("the access document is not the one the leaf commits to")]
    AccessDiffers,
    #[error("a v2 leaf comes with its access document, which is missing")]
    NoAccess,
}

/// Checks `bundle` (JSON) against `public_key` (a signed-note verifier key,
/// `origin+keyid+base64`).
pub fn verify(bundle: &[u8], public_key: &str) -> Result<Verified, VerifyError> {
    let bundle: ProofBundle = serde_json::from_slice(bundle).map_err(VerifyError::NotABundle)?;
    if bundle.format != BUNDLE_FORMAT && bundle.format != BUNDLE_FORMAT_V1 {
        return Err(VerifyError::UnknownFormat(bundle.format));
    }
    let checkpoint = verify_checkpoint(&bundle.checkpoint, public_key)?;
    let proof = decode_hashes(&bundle.inclusion_proof)?;
    let leaf_hash = match (bundle.leaf.is_empty(), &bundle.leaf_hash) {
        (false, _) => record_hash(bundle.leaf.as_bytes()),
        (true, Some(hash)) => parse_hex_hash(hash)?,
        (true, None) => return Err(VerifyError::NoLeaf),
    };
    tlog_tiles::check_record(
        &proof,
        checkpoint.size(),
        *checkpoint.hash(),
        bundle.leaf_index,
        leaf_hash,
    )
    .map_err(|_| VerifyError::NotIncluded(bundle.leaf_index))?;
    let (leaf, access) = if bundle.leaf.is_empty() {
        (serde_json::Value::Null, serde_json::Value::Null)
    } else {
        let leaf = canonical(&bundle.leaf)?;
        let access = if leaf["format"] == super::leaf::LEAF_FORMAT_V2 {
            let access = bundle.access.as_deref().ok_or(VerifyError::NoAccess)?;
            check_access(&leaf, access)?
        } else {
            leaf.clone()
        };
        (leaf, access)
    };
    Ok(Verified {
        origin: checkpoint.origin().to_owned(),
        tree_size: checkpoint.size(),
        root: checkpoint.hash().to_string(),
        leaf_index: bundle.leaf_index,
        leaf,
        access,
    })
}

/// The checkpoint in a signed note, once the log's signature on it checks out.
pub fn verify_checkpoint(note: &str, public_key: &str) -> Result<Checkpoint, VerifyError> {
    let verifier = StandardVerifier::new(public_key.trim()).map_err(|_| VerifyError::BadKey)?;
    let note = Note::from_bytes(note.as_bytes()).map_err(|_| VerifyError::BadNote)?;
    note.verify(&VerifierList::new(vec![Box::new(verifier)]))
        .map_err(|_| VerifyError::BadSignature)?;
    let checkpoint =
        Checkpoint::from_bytes(note.text()).map_err(|_| VerifyError::NotACheckpoint)?;
    let key_name = public_key.trim().split('+').next().unwrap_or_default();
    if checkpoint.origin() != key_name {
        return Err(VerifyError::OtherLog {
            checkpoint: checkpoint.origin().to_owned(),
            key: key_name.to_owned(),
        });
    }
    Ok(checkpoint)
}

/// The JSON value of `text`, which must be canonical (RFC 8785).
pub fn canonical(text: &str) -> Result<serde_json::Value, VerifyError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|_| VerifyError::LeafNotJson)?;
    let canonical = crate::canonical_json::to_canonical_string(&value).ok();
    if canonical.as_deref() != Some(text) {
        return Err(VerifyError::NotCanonical);
    }
    Ok(value)
}

/// The access document, checked against the v2 leaf's `access` digest.
pub fn check_access(
    leaf: &serde_json::Value,
    access: &str,
) -> Result<serde_json::Value, VerifyError> {
    use sha2::{Digest, Sha256};
    let expected = format!("sha256:{}", hex::encode(Sha256::digest(access.as_bytes())));
    if leaf["access"].as_str() != Some(expected.as_str()) {
        return Err(VerifyError::AccessDiffers);
    }
    canonical(access)
}

pub fn decode_hashes(hashes: &[String]) -> Result<Vec<Hash>, VerifyError> {
    hashes
        .iter()
        .map(|hash| Hash::parse_hash(hash))
        .collect::<Result<Vec<Hash>, _>>()
        .map_err(|_| VerifyError::BadHash)
}

pub fn parse_hex_hash(hex_hash: &str) -> Result<Hash, VerifyError> {
    hex::decode(hex_hash)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .map(Hash)
        .ok_or(VerifyError::BadHash)
}

pub fn encode_hashes(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(|hash| STANDARD.encode(hash.0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transparency::checkpoint::signed_checkpoint;
    use crate::transparency::keys::LogKeys;
    use crate::transparency::tiles::TreeBuilder;

    struct Fixture {
        bundle: ProofBundle,
        public_key: String,
        _dir: TempKeys,
    }

    struct TempKeys(std::path::PathBuf);
    impl Drop for TempKeys {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A log of 1,000 leaves in memory and the bundle for leaf 517.
    fn fixture() -> Fixture {
        let dir = TempKeys(
            std::env::temp_dir().join(format!("einblick-bundle-{}", rand::random::<u64>())),
        );
        let keys = LogKeys::load_or_create(&dir.0, "example.test/log").unwrap();
        let leaves: Vec<String> = (0..1000)
            .map(|i| format!(r#"{{"format":"test","id":"evt-{i:06}"}}"#))
            .collect();
        let mut tree = TreeBuilder::empty();
        for leaf in &leaves {
            tree.append(record_hash(leaf.as_bytes()));
        }
        let root = tree.root().unwrap();
        let proof = tlog_tiles::prove_record(1000, 517, &tree.hashes()).unwrap();
        let bundle = ProofBundle {
            format: BUNDLE_FORMAT.into(),
            log_origin: keys.origin().into(),
            log_public_key: keys.verifier_key().into(),
            checkpoint: signed_checkpoint(&keys, 1000, root).unwrap(),
            leaf_index: 517,
            leaf: leaves[517].clone(),
            leaf_hash: None,
            access: None,
            inclusion_proof: encode_hashes(&proof),
            witnessed_by: Vec::new(),
            how_to_verify: String::new(),
        };
        Fixture {
            bundle,
            public_key: keys.verifier_key().into(),
            _dir: dir,
        }
    }

    fn check(bundle: &ProofBundle, key: &str) -> Result<Verified, VerifyError> {
        verify(&serde_json::to_vec(bundle).unwrap(), key)
    }

    #[test]
    fn a_true_bundle_verifies() {
        let fixture = fixture();
        let verified = check(&fixture.bundle, &fixture.public_key).unwrap();
        assert_eq!((verified.tree_size, verified.leaf_index), (1000, 517));
        assert_eq!(verified.leaf["id"], "evt-000517");
        assert!(fixture
            .bundle
            .checkpoint
            .starts_with("example.test/log\n1000\n"));
    }

    #[test]
    fn any_flipped_bit_fails() {
        let fixture = fixture();
        let original = &fixture.bundle;
        // Every byte of the leaf (ASCII bits, so it stays a string).
        for position in 0..original.leaf.len() {
            let mut bytes = original.leaf.clone().into_bytes();
            bytes[position] ^= 1 << (position % 7);
            let mut bundle = original.clone();
            bundle.leaf = String::from_utf8(bytes).unwrap();
            assert!(
                check(&bundle, &fixture.public_key).is_err(),
                "leaf byte {position}"
            );
        }
        // Every bit of every hash of the inclusion path.
        for (step, hash) in original.inclusion_proof.iter().enumerate() {
            let decoded = STANDARD.decode(hash).unwrap();
            for bit in 0..decoded.len() * 8 {
                let mut flipped = decoded.clone();
                flipped[bit / 8] ^= 1 << (bit % 8);
                let mut bundle = original.clone();
                bundle.inclusion_proof[step] = STANDARD.encode(&flipped);
                assert!(
                    check(&bundle, &fixture.public_key).is_err(),
                    "path {step} bit {bit}"
                );
            }
        }
        // Every byte of the signed checkpoint, a different bit each time.
        for position in 0..original.checkpoint.len() {
            let mut bytes = original.checkpoint.clone().into_bytes();
            bytes[position] ^= 1 << (position % 7);
            let Ok(text) = String::from_utf8(bytes) else {
                continue;
            };
            let mut bundle = original.clone();
            bundle.checkpoint = text;
            assert!(
                check(&bundle, &fixture.public_key).is_err(),
                "checkpoint byte {position}"
            );
        }
        // Another position, a shortened path, another key.
        let mut bundle = original.clone();
        bundle.leaf_index = 516;
        assert!(check(&bundle, &fixture.public_key).is_err());
        let mut bundle = original.clone();
        bundle.inclusion_proof.pop();
        assert!(check(&bundle, &fixture.public_key).is_err());
        let other = fixture_key_of_another_log();
        let refused = check(original, &other).unwrap_err();
        assert!(matches!(refused, VerifyError::BadSignature), "{refused}");
    }

    fn fixture_key_of_another_log() -> String {
        let (_, vkey) = signed_note::generate_key(&mut rand_core_06::OsRng, "example.test/log");
        vkey
    }
}
