//! An entry's proof in the common C2SP `tlog-proof@v1` format, so any tool that speaks the spec
//! can check it: the header line, the leaf itself as the (unauthenticated) `extra` data, the
//! leaf index, the RFC 6962 inclusion proof, a blank line and the checkpoint with its
//! cosignatures. The checker hashes the leaf (SHA-256 of 0x00 ‖ leaf) and follows the proof.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::bundle::ProofBundle;

pub const HEADER: &str = "c2sp.org/tlog-proof@v1";

/// The bundle's proof as a tlog-proof file. A withheld (v1) leaf has no `extra` line: the
/// checker must bring the entry itself.
pub fn from_bundle(bundle: &ProofBundle) -> String {
    let mut out = format!("{HEADER}\n");
    if !bundle.leaf.is_empty() {
        out.push_str(&format!(
            "extra {}\n",
            STANDARD.encode(bundle.leaf.as_bytes())
        ));
    }
    out.push_str(&format!("index {}\n", bundle.leaf_index));
    for hash in &bundle.inclusion_proof {
        out.push_str(hash);
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&bundle.checkpoint);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tlog_proof_has_the_specs_layout() {
        let bundle = ProofBundle {
            format: String::new(),
            log_origin: "example.test/log".into(),
            log_public_key: String::new(),
            checkpoint: "example.test/log\n2\nAAAA\n\n— example.test/log SIG\n".into(),
            leaf_index: 1,
            leaf: "{\"a\":1}".into(),
            leaf_hash: None,
            access: None,
            inclusion_proof: vec!["HASH=".into()],
            witnessed_by: Vec::new(),
            how_to_verify: String::new(),
        };
        assert_eq!(
            from_bundle(&bundle),
            "c2sp.org/tlog-proof@v1\nextra eyJhIjoxfQ==\nindex 1\nHASH=\n\n\
             example.test/log\n2\nAAAA\n\n— example.test/log SIG\n"
        );
    }
}
