//! The body of a C2SP tlog-witness `add-checkpoint` request: `old <size>`, the consistency proof
//! from that size (one base64 hash a line), a blank line, then the signed checkpoint note.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use tlog_tiles::Hash;

/// The path under a witness's URL prefix.
pub const ADD_CHECKPOINT: &str = "/add-checkpoint";
/// The content type of a 409 answer's body: the witness's size for that log, in decimal.
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";
/// A consistency proof never needs more hashes than this (the spec's limit).
const MAX_PROOF_HASHES: usize = 63;

#[derive(Debug, Clone, PartialEq)]
pub struct AddCheckpoint {
    pub old_size: u64,
    pub proof: Vec<Hash>,
    pub checkpoint_note: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed add-checkpoint request: {0}")]
pub struct Malformed(pub &'static str);

impl AddCheckpoint {
    pub fn encode(&self) -> Vec<u8> {
        let mut body = format!("old {}\n", self.old_size).into_bytes();
        for hash in &self.proof {
            body.extend_from_slice(STANDARD.encode(hash.0).as_bytes());
            body.push(b'\n');
        }
        body.push(b'\n');
        body.extend_from_slice(&self.checkpoint_note);
        body
    }

    pub fn parse(body: &[u8]) -> Result<AddCheckpoint, Malformed> {
        let mut rest = body;
        let mut next_line = || -> Result<&[u8], Malformed> {
            let end = rest
                .iter()
                .position(|&b| b == b'\n')
                .ok_or(Malformed("a line does not end"))?;
            let line = &rest[..end];
            rest = &rest[end + 1..];
            Ok(line)
        };
        let old = next_line()?
            .strip_prefix(b"old ")
            .ok_or(Malformed("the first line is not `old <size>`"))?;
        let old_size = std::str::from_utf8(old)
            .ok()
            .filter(|digits| {
                !digits.is_empty()
                    && digits.bytes().all(|b| b.is_ascii_digit())
                    && (digits.len() == 1 || !digits.starts_with('0'))
            })
            .and_then(|digits| digits.parse().ok())
            .ok_or(Malformed("the old size is not a decimal number"))?;
        let mut proof = Vec::new();
        loop {
            let line = next_line()?;
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_HASHES {
                return Err(Malformed("the consistency proof is too long"));
            }
            let hash: [u8; 32] = STANDARD
                .decode(line)
                .ok()
                .and_then(|bytes| bytes.try_into().ok())
                .ok_or(Malformed("a proof line is not a base64 SHA-256 hash"))?;
            proof.push(Hash(hash));
        }
        Ok(AddCheckpoint {
            old_size,
            proof,
            checkpoint_note: rest.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_reads_back_what_it_writes() {
        let request = AddCheckpoint {
            old_size: 12,
            proof: vec![Hash([1; 32]), Hash([2; 32])],
            checkpoint_note: b"log\n13\nAAAA\n\n- log sig\n".to_vec(),
        };
        assert_eq!(AddCheckpoint::parse(&request.encode()), Ok(request));
        let first = AddCheckpoint {
            old_size: 0,
            proof: vec![],
            checkpoint_note: b"note".to_vec(),
        };
        assert_eq!(first.encode(), b"old 0\n\nnote");
        assert_eq!(AddCheckpoint::parse(b"old 0\n\nnote"), Ok(first));
    }

    #[test]
    fn malformed_requests_are_refused() {
        for body in [
            &b""[..],
            b"old\n\n",
            b"old -1\n\n",
            b"old 01\n\n",
            b"new 1\n\n",
            b"old 1\nnot-base64!\n\n",
            b"old 1\nAAAA\n\n",
            b"old 1\n",
        ] {
            assert!(
                AddCheckpoint::parse(body).is_err(),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
