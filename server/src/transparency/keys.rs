//! The log's two secrets, kept in files outside the database: the Ed25519 key that signs
//! checkpoints (in the signed-note key format of C2SP and Go's `note` package) and the key of the
//! keyed hash that stands in for customer numbers in leaves. Created at first start, readable by
//! the server's user only, and never logged (`Debug` prints neither).

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use signed_note::StandardSigner;

const SIGNING_KEY_FILE: &str = "checkpoint-signing.key";
const VERIFIER_KEY_FILE: &str = "checkpoint.vkey";
const CUSTOMER_KEY_FILE: &str = "customer-ref.key";

pub struct LogKeys {
    signer: StandardSigner,
    verifier_key: String,
    /// HMAC-SHA256 keyed with the customer-reference key, cloned for each use.
    customer_mac: Hmac<Sha256>,
    /// HMAC-SHA256 keyed with a key derived from the customer-reference key for links, so no
    /// value the public log shows can ever be a valid link signature.
    link_mac: Hmac<Sha256>,
    origin: String,
}

impl fmt::Debug for LogKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogKeys")
            .field("origin", &self.origin)
            .field("verifier_key", &self.verifier_key)
            .finish_non_exhaustive()
    }
}

/// Why the keys could not be used; names the file, never its content.
#[derive(Debug, thiserror::Error)]
#[error("log key {path}: {problem}")]
pub struct KeyError {
    pub path: PathBuf,
    pub problem: String,
}

impl LogKeys {
    /// Loads the keys from `dir`, creating any that are missing. The signing key's name is the
    /// log's origin; a key made for another origin is refused rather than silently replaced.
    pub fn load_or_create(dir: &Path, origin: &str) -> Result<LogKeys, KeyError> {
        let fail = |path: &Path, problem: String| KeyError {
            path: path.to_path_buf(),
            problem,
        };
        create_private_dir(dir).map_err(|e| fail(dir, format!("cannot create ({e})")))?;

        let signing_path = dir.join(SIGNING_KEY_FILE);
        let skey = match std::fs::read_to_string(&signing_path) {
            Ok(text) => text.trim().to_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let (skey, _) = signed_note::generate_key(&mut rand_core_06::OsRng, origin);
                write_private(&signing_path, skey.as_bytes())
                    .map_err(|e| fail(&signing_path, format!("cannot write ({e})")))?;
                skey
            }
            Err(e) => return Err(fail(&signing_path, format!("cannot read ({e})"))),
        };
        let signer = StandardSigner::new(&skey)
            .map_err(|_| fail(&signing_path, "is not a signed-note Ed25519 key".into()))?;
        if signed_note::Signer::name(&signer) != origin {
            return Err(fail(
                &signing_path,
                format!(
                    "was made for the log {:?}, but the log's origin is now {origin:?} \
                     (setting EINBLICK_LOG_ORIGIN / EINBLICK_PUBLIC_URL)",
                    signed_note::Signer::name(&signer)
                ),
            ));
        }
        let verifier_key = verifier_key_of(&skey, origin)
            .ok_or_else(|| fail(&signing_path, "is not a signed-note Ed25519 key".into()))?;
        // Written only when missing or stale, so keys on a read-only mount (a secret shared by
        // several processes) load as they are.
        let verifier_path = dir.join(VERIFIER_KEY_FILE);
        let verifier_text = format!("{verifier_key}\n");
        if std::fs::read_to_string(&verifier_path).ok().as_deref() != Some(verifier_text.as_str()) {
            std::fs::write(&verifier_path, &verifier_text)
                .map_err(|e| fail(&verifier_path, format!("cannot write ({e})")))?;
        }

        let customer_path = dir.join(CUSTOMER_KEY_FILE);
        let customer_key = match std::fs::read_to_string(&customer_path) {
            Ok(text) => parse_customer_key(text.trim())
                .ok_or_else(|| fail(&customer_path, "must hold 64 hex digits".into()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; 32] = rand::random();
                write_private(&customer_path, hex::encode(key).as_bytes())
                    .map_err(|e| fail(&customer_path, format!("cannot write ({e})")))?;
                key
            }
            Err(e) => return Err(fail(&customer_path, format!("cannot read ({e})"))),
        };
        let customer_mac = Hmac::<Sha256>::new_from_slice(&customer_key)
            .map_err(|e| fail(&customer_path, format!("cannot be used ({e})")))?;
        let mut derive = customer_mac.clone();
        derive.update(b"einblick-link-key");
        let link_mac = Hmac::<Sha256>::new_from_slice(&derive.finalize().into_bytes())
            .map_err(|e| fail(&customer_path, format!("cannot be used ({e})")))?;
        Ok(LogKeys {
            signer,
            verifier_key,
            customer_mac,
            link_mac,
            origin: origin.to_owned(),
        })
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The public key in signed-note verifier format: `origin+keyid+base64(0x01 ‖ key)`.
    pub fn verifier_key(&self) -> &str {
        &self.verifier_key
    }

    pub fn signer(&self) -> &StandardSigner {
        &self.signer
    }

    /// A value that tells whether two servers hold the same customer-hash key without telling
    /// anything about the key: its HMAC of a fixed purpose text.
    pub fn customer_key_check(&self) -> String {
        let mut mac = self.customer_mac.clone();
        mac.update(b"einblick-key-check\0");
        hex::encode(mac.finalize().into_bytes())
    }

    /// HMAC-SHA256 of the customer number, hex: the same customer always maps to the same
    /// value, but without the key nobody can tell whose it is, or test a guess.
    pub fn customer_hash(&self, customer_ref: &str) -> String {
        let mut mac = self.customer_mac.clone();
        mac.update(customer_ref.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// HMAC-SHA256 of the employee with their team and office country, hex: what a v2 leaf
    /// shows instead of who looked. The log commits to all three without naming any; the
    /// purpose prefix and NUL separators keep it from ever equalling a customer hash or another
    /// split of the same text.
    pub fn employee_hash(
        &self,
        employee_id: &str,
        team: Option<&str>,
        office_country: Option<&str>,
    ) -> String {
        let mut mac = self.customer_mac.clone();
        mac.update(b"einblick-employee\0");
        mac.update(employee_id.as_bytes());
        for part in [team, office_country] {
            // Absent and empty differ: a 0x00 marker, then 0x01 and the text for a present one.
            match part {
                None => mac.update(b"\0\0"),
                Some(text) => {
                    mac.update(b"\0\x01");
                    mac.update(text.as_bytes());
                }
            }
        }
        hex::encode(mac.finalize().into_bytes())
    }

    /// A keyed hash for matching people's details (surnames, postcodes) without keeping them:
    /// the same value maps to the same hash, and the purpose keeps one kind of value from
    /// matching another (and from matching a log leaf's customer hash).
    pub fn matching_hash(&self, purpose: &str, normalised: &str) -> String {
        let mut mac = self.customer_mac.clone();
        mac.update(b"einblick-matching\0");
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(normalised.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// A keyed signature of `message` for links that act without signing in (unsubscribing);
    /// `purpose` keeps a signature for one kind of link from being valid for another.
    pub fn link_signature(&self, purpose: &str, message: &str) -> String {
        hex::encode(self.link_mac(purpose, message).finalize().into_bytes())
    }

    /// Whether `signature` is [`LogKeys::link_signature`] of `message`, compared in constant
    /// time.
    pub fn link_signature_matches(&self, purpose: &str, message: &str, signature: &str) -> bool {
        hex::decode(signature)
            .is_ok_and(|bytes| self.link_mac(purpose, message).verify_slice(&bytes).is_ok())
    }

    fn link_mac(&self, purpose: &str, message: &str) -> Hmac<Sha256> {
        let mut mac = self.link_mac.clone();
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(message.as_bytes());
        mac
    }
}

/// Derives the public verifier key from the private one (the format puts the public key's id,
/// not the key, in the private key text).
fn verifier_key_of(skey: &str, origin: &str) -> Option<String> {
    use base64::Engine;
    // PRIVATE+KEY+<name>+<id>+<base64>; base64 may itself hold '+'.
    let encoded = skey.splitn(5, '+').nth(4)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let (&algorithm, secret) = bytes.split_first()?;
    if algorithm != 1 {
        return None;
    }
    let signing_key = ed25519_dalek::SigningKey::try_from(secret).ok()?;
    Some(signed_note::new_ed25519_verifier_key(
        origin,
        &signing_key.verifying_key(),
    ))
}

fn parse_customer_key(text: &str) -> Option<[u8; 32]> {
    hex::decode(text).ok()?.try_into().ok()
}

pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Writes a new file only the owner can read; never overwrites one.
pub(crate) fn write_private(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(content)?;
    file.write_all(b"\n")?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_created_once_and_loaded_again() {
        let dir = std::env::temp_dir().join(format!("einblick-keys-{}", rand::random::<u64>()));
        let first = LogKeys::load_or_create(&dir, "example.test/log").unwrap();
        let again = LogKeys::load_or_create(&dir, "example.test/log").unwrap();
        assert_eq!(first.verifier_key(), again.verifier_key());
        assert!(first.verifier_key().starts_with("example.test/log+"));
        assert_eq!(first.customer_hash("C-1"), again.customer_hash("C-1"));
        assert_ne!(first.customer_hash("C-1"), first.customer_hash("C-2"));
        assert!(!format!("{first:?}").contains("PRIVATE"));
        let other = LogKeys::load_or_create(&dir, "elsewhere.test/log").unwrap_err();
        assert!(other.problem.contains("was made for the log"), "{other}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(SIGNING_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "the signing key is private");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
