//! C2SP tlog-cosignature v1 (`cosignature/v1`, Ed25519): a witness's signature over a checkpoint
//! note's text and the time it signed. It rides in the checkpoint note as one more signature
//! line, so a checker that does not know the witness skips it, and one that does checks it.
//!
//! Key id: the first four bytes of SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key). Signature line
//! payload: key id ‖ timestamp (8 bytes, big-endian seconds) ‖ Ed25519 signature over
//! `cosignature/v1\ntime <timestamp>\n` followed by the checkpoint text.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};

/// The algorithm byte of a cosignature/v1 key in a verifier key and its key id.
const ALGORITHM: u8 = 0x04;
const HEADER: &str = "cosignature/v1\ntime ";

/// A witness's public key: `name+keyid+base64(0x04 ‖ key)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessKey {
    name: String,
    key_id: u32,
    key: VerifyingKey,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a cosignature/v1 witness key (name+keyid+base64 of 0x04 and 32 key bytes): {0:?}")]
pub struct BadWitnessKey(pub String);

impl WitnessKey {
    pub fn parse(text: &str) -> Result<WitnessKey, BadWitnessKey> {
        let bad = || BadWitnessKey(text.to_owned());
        let text = text.trim();
        let mut parts = text.splitn(3, '+');
        let (Some(name), Some(id), Some(encoded)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if !signed_note::is_key_name_valid(name) || id.len() != 8 {
            return Err(bad());
        }
        let id = u32::from_str_radix(id, 16).map_err(|_| bad())?;
        let bytes = STANDARD.decode(encoded).map_err(|_| bad())?;
        let Some((&ALGORITHM, raw)) = bytes.split_first() else {
            return Err(bad());
        };
        let raw: [u8; 32] = raw.try_into().map_err(|_| bad())?;
        let key = VerifyingKey::from_bytes(&raw).map_err(|_| bad())?;
        let parsed = WitnessKey::new(name, key);
        if parsed.key_id != id {
            return Err(bad());
        }
        Ok(parsed)
    }

    pub fn new(name: &str, key: VerifyingKey) -> WitnessKey {
        WitnessKey {
            name: name.to_owned(),
            key_id: key_id(name, &key),
            key,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// Whether both are the same public key, whatever their names.
    pub fn same_key(&self, other: &WitnessKey) -> bool {
        self.key == other.key
    }

    /// The verifier key text, `name+keyid+base64`.
    pub fn encode(&self) -> String {
        let mut bytes = vec![ALGORITHM];
        bytes.extend_from_slice(self.key.as_bytes());
        format!(
            "{}+{:08x}+{}",
            self.name,
            self.key_id,
            STANDARD.encode(bytes)
        )
    }

    /// The time the witness signed at, if `signature` (timestamp ‖ Ed25519 signature, the key id
    /// already taken off) is its cosignature of `checkpoint_text`. Strict Ed25519 (no
    /// malleable signatures); a time of 0 or beyond 2^63 − 1 is refused, as the spec says.
    pub fn verify(&self, checkpoint_text: &[u8], signature: &[u8]) -> Option<u64> {
        let (timestamp, signature) = signature.split_first_chunk::<8>()?;
        let signature = ed25519_dalek::Signature::from_slice(signature).ok()?;
        let timestamp = u64::from_be_bytes(*timestamp);
        if timestamp == 0 || timestamp > i64::MAX as u64 {
            return None;
        }
        self.key
            .verify_strict(&signed_message(timestamp, checkpoint_text), &signature)
            .ok()
            .map(|()| timestamp)
    }
}

fn key_id(name: &str, key: &VerifyingKey) -> u32 {
    let mut encoded = vec![ALGORITHM];
    encoded.extend_from_slice(key.as_bytes());
    signed_note::key_id(name, &encoded)
}

fn signed_message(timestamp: u64, checkpoint_text: &[u8]) -> Vec<u8> {
    let mut message = format!("{HEADER}{timestamp}\n").into_bytes();
    message.extend_from_slice(checkpoint_text);
    message
}

/// A witness's signing half.
pub struct WitnessSigner {
    public: WitnessKey,
    key: SigningKey,
}

impl std::fmt::Debug for WitnessSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WitnessSigner")
            .field("public", &self.public.encode())
            .finish_non_exhaustive()
    }
}

impl WitnessSigner {
    pub fn new(name: &str, key: SigningKey) -> WitnessSigner {
        WitnessSigner {
            public: WitnessKey::new(name, key.verifying_key()),
            key,
        }
    }

    pub fn public(&self) -> &WitnessKey {
        &self.public
    }

    /// The note signature line (`— name base64\n`) cosigning `checkpoint_text` at `timestamp`.
    pub fn cosign(&self, checkpoint_text: &[u8], timestamp: u64) -> String {
        let signature = self.key.sign(&signed_message(timestamp, checkpoint_text));
        let mut payload = self.public.key_id.to_be_bytes().to_vec();
        payload.extend_from_slice(&timestamp.to_be_bytes());
        payload.extend_from_slice(&signature.to_bytes());
        format!("— {} {}\n", self.public.name, STANDARD.encode(payload))
    }
}

/// The checkpoint note with `lines` (cosignature lines) added after its own signatures, each
/// line once.
pub fn with_cosignatures(note: &str, lines: &[String]) -> String {
    let mut out = note.to_owned();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    for line in lines {
        let line = line.trim_end_matches('\n');
        if !out.lines().any(|existing| existing == line) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(name: &str, seed: u8) -> WitnessSigner {
        WitnessSigner::new(name, SigningKey::from_bytes(&[seed; 32]))
    }

    #[test]
    fn a_witness_key_reads_back_what_it_writes() {
        let key = signer("witness.example/w1", 7).public().clone();
        let text = key.encode();
        assert!(text.starts_with("witness.example/w1+"));
        assert_eq!(WitnessKey::parse(&text), Ok(key));
    }

    #[test]
    fn a_witness_key_with_a_wrong_id_or_algorithm_is_refused() {
        let text = signer("w1", 7).public().encode();
        let (name_and_id, encoded) = text.rsplit_once('+').unwrap();
        let wrong_id = format!("w1+00000000+{encoded}");
        assert!(WitnessKey::parse(&wrong_id).is_err());
        let mut bytes = STANDARD.decode(encoded).unwrap();
        bytes[0] = 0x01;
        let ed25519_note_key = format!("{name_and_id}+{}", STANDARD.encode(bytes));
        assert!(WitnessKey::parse(&ed25519_note_key).is_err());
    }

    #[test]
    fn a_cosignature_verifies_only_for_its_checkpoint_and_key() {
        let witness = signer("w1", 1);
        let text = b"example.test/log\n3\nAAAA\n";
        let line = witness.cosign(text, 1_700_000_000);
        let payload = STANDARD
            .decode(line.trim_end().rsplit_once(' ').unwrap().1)
            .unwrap();
        assert_eq!(&payload[..4], &witness.public().key_id().to_be_bytes());
        let signature = &payload[4..];
        assert_eq!(
            witness.public().verify(text, signature),
            Some(1_700_000_000)
        );
        assert_eq!(
            witness
                .public()
                .verify(b"example.test/log\n4\nAAAA\n", signature),
            None
        );
        assert_eq!(signer("w1", 2).public().verify(text, signature), None);
        for bit in 0..signature.len() * 8 {
            let mut flipped = signature.to_vec();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert_eq!(witness.public().verify(text, &flipped), None, "bit {bit}");
        }
    }

    /// Ed25519 is deterministic: the same seed, name, checkpoint and time give this exact line
    /// (computed independently with Python's `cryptography`).
    #[test]
    fn a_cosignature_matches_an_independent_implementation() {
        let seed: [u8; 32] = std::array::from_fn(|i| i as u8);
        let witness = WitnessSigner::new("witness.example/w1", SigningKey::from_bytes(&seed));
        assert_eq!(
            witness.public().encode(),
            "witness.example/w1+e75f6532+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"
        );
        let checkpoint = b"example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        assert_eq!(
            witness.cosign(checkpoint, 1_679_315_147),
            "— witness.example/w1 519lMgAAAABkGFDLBuRDazBLVac2NE+Y+IjbjQOcXLfF9CSDZVUIoS83rE1nFZsVE8YiWV6Ngr7lV8H6bdoBQGP/l73euDMQ9k+bBQ==\n"
        );
    }

    #[test]
    fn cosignatures_are_added_once() {
        let note = "o\n1\nAAAA\n\n— o AAAA\n";
        let lines = vec!["— w1 BBBB\n".to_owned(), "— w1 BBBB".to_owned()];
        assert_eq!(
            with_cosignatures(note, &lines),
            "o\n1\nAAAA\n\n— o AAAA\n— w1 BBBB\n"
        );
    }
}
