//! Witnesses: `einblick witness serve` cosigns only checkpoints consistent with what it cosigned
//! before (a split view or a shrunken log is refused, as C2SP tlog-witness says), and a portal
//! with a 2-of-2 witness policy hands customers proofs whose checkpoints both witnesses cosigned,
//! which `einblick verify --policy` accepts and which fail with a cosignature missing or changed.

use std::path::Path;

use base64::Engine;
use einblick::transparency::checkpoint::signed_checkpoint;
use einblick::transparency::tiles::TreeBuilder;
use einblick::transparency::witness::protocol::AddCheckpoint;
use einblick::transparency::witness::{Policy, WitnessKey};
use einblick::transparency::LogKeys;
use tlog_tiles::{record_hash, Hash};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    a_portal_with_two_witnesses_hands_out_witnessed_proofs,
    a_proof_while_the_witnesses_are_down_says_it_is_not_witnessed
);

const ORIGIN: &str = "einblick.test/log";
const WITNESS_CHECKER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/integration/independent_witness_check.py"
);

/// `einblick witness serve` as a process; killed when dropped.
struct WitnessProcess {
    child: std::process::Child,
    url: String,
    key: String,
    output: std::path::PathBuf,
}

impl WitnessProcess {
    // Every path either hands the child to `WitnessProcess` (whose Drop kills and waits for it)
    // or kills and waits for it before the panic.
    #[expect(clippy::zombie_processes)]
    fn start(dir: &Path, name: &str, log_key: &str) -> WitnessProcess {
        std::fs::create_dir_all(dir).unwrap();
        let output = dir.join(format!("output-{}.log", unique_name()));
        let log = std::fs::File::create(&output).unwrap();
        let mut child = einblick_binary()
            .args([
                "witness",
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--name",
                name,
            ])
            .arg("--dir")
            .arg(dir.join("state"))
            .args(["--log", log_key])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start the witness");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let printed = std::fs::read_to_string(&output).unwrap_or_default();
            let url = printed.lines().find_map(|line| {
                line.split_once(" is serving ")
                    .map(|(_, url)| url.to_owned())
            });
            let key = printed
                .lines()
                .find_map(|line| line.trim().strip_prefix("its key: ").map(str::to_owned));
            if let (Some(url), Some(key)) = (url, key) {
                return WitnessProcess {
                    child,
                    url,
                    key,
                    output,
                };
            }
            if std::time::Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the witness did not start: {printed}");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    fn add_checkpoint(&self, request: &AddCheckpoint) -> (u16, String, String) {
        let response =
            ureq::post(&format!("{}/add-checkpoint", self.url)).send_bytes(&request.encode());
        let response = match response {
            Ok(response) => response,
            Err(ureq::Error::Status(_, response)) => response,
            Err(e) => panic!("the witness cannot be reached: {e}"),
        };
        let status = response.status();
        let content_type = response.content_type().to_owned();
        (status, content_type, response.into_string().unwrap())
    }
}

impl Drop for WitnessProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A tree of `size` leaves named `{prefix}-{i}`, and its signed checkpoint.
struct Tree {
    builder: TreeBuilder,
}

impl Tree {
    fn new(prefix: &str, size: u64) -> Tree {
        let mut builder = TreeBuilder::empty();
        for i in 0..size {
            builder.append(record_hash(format!("{prefix}-{i}").as_bytes()));
        }
        Tree { builder }
    }

    fn checkpoint(&self, keys: &LogKeys, size: u64) -> String {
        let root = tlog_tiles::tree_hash(size, &self.builder.hashes()).unwrap();
        signed_checkpoint(keys, size, root).unwrap()
    }

    fn proof(&self, old: u64, new: u64) -> Vec<Hash> {
        tlog_tiles::prove_tree(new, old, &self.builder.hashes()).unwrap()
    }
}

fn request(old_size: u64, proof: Vec<Hash>, note: &str) -> AddCheckpoint {
    AddCheckpoint {
        old_size,
        proof,
        checkpoint_note: note.as_bytes().to_vec(),
    }
}

#[test]
fn a_witness_refuses_a_split_view_and_a_shrunken_log() {
    let dir = tempfile_dir::TempDir::new(&format!("{}_witness", unique_name()));
    let keys = LogKeys::load_or_create(&dir.0.join("log-keys"), ORIGIN).unwrap();
    let witness = WitnessProcess::start(&dir.0.join("w1"), "w1.test/witness", keys.verifier_key());
    let witness_key = WitnessKey::parse(&witness.key).unwrap();
    let honest = Tree::new("honest", 8);
    let forked = Tree::new("forked", 8);

    // First contact: any tree is trusted (old 0, no proof); the answer is a valid cosignature.
    let first = honest.checkpoint(&keys, 3);
    let (status, _, body) = witness.add_checkpoint(&request(0, vec![], &first));
    assert_eq!(status, 200, "{body}");
    let policy = Policy::parse(&format!("witness w1 {}\nquorum w1\n", witness.key)).unwrap();
    let cosigned = format!("{first}{body}");
    assert!(
        policy.check(cosigned.as_bytes()).unwrap().satisfies_policy,
        "{cosigned}"
    );
    assert!(body.starts_with(&format!("— {} ", witness_key.name())));

    // A second tree of the same size: 409, a split view.
    let (status, _, body) =
        witness.add_checkpoint(&request(3, vec![], &forked.checkpoint(&keys, 3)));
    assert_eq!(status, 409, "{body}");
    // Claiming the witness has seen nothing: 409 with the size it has.
    let (status, content_type, body) =
        witness.add_checkpoint(&request(0, vec![], &forked.checkpoint(&keys, 3)));
    assert_eq!(
        (status, content_type.as_str(), body.as_str()),
        (409, "text/x.tlog.size", "3\n")
    );
    // A smaller tree after a larger one: 400 from its own size, 409 from any other.
    let (status, _, body) =
        witness.add_checkpoint(&request(3, vec![], &honest.checkpoint(&keys, 2)));
    assert_eq!(status, 400, "{body}");
    let (status, _, body) =
        witness.add_checkpoint(&request(2, vec![], &honest.checkpoint(&keys, 2)));
    assert_eq!((status, body.as_str()), (409, "3\n"));

    // The honest log grows with a consistency proof: cosigned.
    let grown = honest.checkpoint(&keys, 5);
    let (status, _, body) = witness.add_checkpoint(&request(3, honest.proof(3, 5), &grown));
    assert_eq!(status, 200, "{body}");
    // The fork grows too, with its own (valid for it) proof: 422, it does not extend size 5.
    let (status, _, body) = witness.add_checkpoint(&request(
        5,
        forked.proof(5, 8),
        &forked.checkpoint(&keys, 8),
    ));
    assert_eq!(status, 422, "{body}");
    // A proof from size 0 is no proof: 422.
    let (status, _, body) =
        witness.add_checkpoint(&request(5, vec![], &honest.checkpoint(&keys, 8)));
    assert_eq!(status, 422, "{body}");

    // Another log's checkpoint: 404; this log's origin signed with another key: 403; garbage: 400.
    let other_dir = dir.0.join("other-keys");
    let other = LogKeys::load_or_create(&other_dir, "elsewhere.test/log").unwrap();
    let (status, _, _) = witness.add_checkpoint(&request(0, vec![], &honest.checkpoint(&other, 3)));
    assert_eq!(status, 404);
    let impostor = LogKeys::load_or_create(&dir.0.join("impostor-keys"), ORIGIN).unwrap();
    let (status, _, _) =
        witness.add_checkpoint(&request(5, vec![], &honest.checkpoint(&impostor, 5)));
    assert_eq!(status, 403);
    let (status, _, _) = witness.add_checkpoint(&AddCheckpoint {
        old_size: 5,
        proof: vec![],
        checkpoint_note: b"not a note".to_vec(),
    });
    assert_eq!(status, 400);

    // What it cosigned survives a restart: the forked size 5 is still refused.
    let key_before = witness.key.clone();
    drop(witness);
    let witness = WitnessProcess::start(&dir.0.join("w1"), "w1.test/witness", keys.verifier_key());
    assert_eq!(witness.key, key_before, "the witness keeps its key");
    let (status, _, body) =
        witness.add_checkpoint(&request(0, vec![], &forked.checkpoint(&keys, 5)));
    assert_eq!((status, body.as_str()), (409, "5\n"));
    let (status, _, body) =
        witness.add_checkpoint(&request(5, vec![], &forked.checkpoint(&keys, 5)));
    assert_eq!(status, 409, "{body}");
    let (status, _, body) = witness.add_checkpoint(&request(
        5,
        honest.proof(5, 8),
        &honest.checkpoint(&keys, 8),
    ));
    assert_eq!(
        status,
        200,
        "{body}: {}",
        std::fs::read_to_string(&witness.output).unwrap_or_default()
    );
}

fn einblick_verify(args: &[&str]) -> (bool, String) {
    let output = einblick_binary().args(args).output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), said)
}

fn a_portal_with_two_witnesses_hands_out_witnessed_proofs(backend: Backend) {
    let dir = tempfile_dir::TempDir::new(&format!("{}_witnessed", unique_name()));
    let key_dir = dir.0.join("log-keys");
    let keys = LogKeys::load_or_create(&key_dir, ORIGIN).unwrap();
    let first = WitnessProcess::start(
        &dir.0.join("w1"),
        "authority-a.test/witness",
        keys.verifier_key(),
    );
    let second = WitnessProcess::start(
        &dir.0.join("w2"),
        "authority-b.test/witness",
        keys.verifier_key(),
    );
    let policy_text = format!(
        "# two supervisory authorities, both must cosign\n\
         log {}\n\
         witness authority-a {} {}\n\
         witness authority-b {} {}\n\
         group both 2 authority-a authority-b\n\
         quorum both\n",
        keys.verifier_key(),
        first.key,
        first.url,
        second.key,
        second.url
    );
    let policy_path = dir.0.join("policy.txt");
    std::fs::write(&policy_path, &policy_text).unwrap();
    let app = TestApp::spawn_with(
        backend,
        &[
            ("EINBLICK_LOG_KEY_DIR", key_dir.to_str().unwrap()),
            ("EINBLICK_LOG_ORIGIN", ORIGIN),
            ("EINBLICK_WITNESS_POLICY", policy_path.to_str().unwrap()),
            ("EINBLICK_CHECKPOINT_EVERY_SECONDS", "1"),
        ],
        true,
    );
    let mut anna = app.signed_in("anna@example.com");
    let entries = anna.get("/api/v1/me/access-events?limit=5").json();
    let entry = entries["items"][0]["id"].as_str().unwrap().to_owned();
    let response = anna.get(&format!("/timeline/{entry}/proof"));
    assert_eq!(response.status, 200, "{}", response.body);
    let bundle = response.json();
    assert_eq!(
        bundle["witnessed_by"],
        serde_json::json!(["authority-a", "authority-b"])
    );
    let checkpoint = bundle["checkpoint"].as_str().unwrap().to_owned();
    assert_eq!(
        checkpoint
            .lines()
            .filter(|line| line.starts_with("— "))
            .count(),
        3,
        "{checkpoint}"
    );

    // The access report names the witnessed checkpoint and its witnesses.
    let report = anna.get("/reports/access?format=json");
    assert_eq!(report.status, 200, "{}", report.body);
    assert_eq!(
        report.json()["log_checkpoint"]["witnessed_by"],
        serde_json::json!(["authority-a", "authority-b"]),
        "{}",
        report.body
    );

    // The timeline names them.
    let page = anna.get("/timeline");
    assert!(
        page.body.contains("Bezeugt von authority-a, authority-b"),
        "{}",
        page.body
    );

    let key_file = dir.0.join("log.vkey");
    std::fs::write(&key_file, keys.verifier_key()).unwrap();
    let (key, policy) = (key_file.to_str().unwrap(), policy_path.to_str().unwrap());
    let bundle_path = dir.0.join("proof.json");
    std::fs::write(&bundle_path, &response.bytes).unwrap();
    let (verified, said) = einblick_verify(&[
        "verify",
        bundle_path.to_str().unwrap(),
        "--key",
        key,
        "--policy",
        policy,
    ]);
    assert!(verified, "{said}");
    assert!(
        said.contains("WITNESSED") && said.contains("authority-a, authority-b"),
        "{said}"
    );

    // The whole timeline too.
    let response = anna.get("/timeline/proof");
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(
        response.json()["witnessed_by"],
        serde_json::json!(["authority-a", "authority-b"])
    );
    let timeline_path = dir.0.join("timeline.json");
    std::fs::write(&timeline_path, &response.bytes).unwrap();
    let (verified, said) = einblick_verify(&[
        "verify-timeline",
        timeline_path.to_str().unwrap(),
        "--key",
        key,
        "--policy",
        policy,
    ]);
    assert!(verified, "{said}");
    assert!(said.contains("WITNESSED"), "{said}");

    // One cosignature taken away: k−1 of 2 do not satisfy the policy.
    let mut lines: Vec<&str> = checkpoint.lines().collect();
    let dropped = lines.remove(lines.len() - 1);
    let one_short = format!("{}\n", lines.join("\n"));
    let short_path = with_checkpoint(&dir, "one-short.json", &bundle, &one_short);
    let (verified, said) =
        einblick_verify(&["verify", &short_path, "--key", key, "--policy", policy]);
    assert!(!verified, "{said}");
    assert!(said.contains("not enough for the witness policy"), "{said}");
    // Without the policy the log's own signature still verifies.
    let (verified, said) = einblick_verify(&["verify", &short_path, "--key", key]);
    assert!(verified, "{said}");

    // Every bit flip in a cosignature fails the policy (checked in-process: 2 × 608 bits).
    let parsed = Policy::parse(&policy_text).unwrap();
    assert!(
        parsed
            .check(checkpoint.as_bytes())
            .unwrap()
            .satisfies_policy
    );
    for cosignature in checkpoint
        .lines()
        .filter(|line| line.starts_with("— authority-"))
    {
        for bit in 0..76 * 8 {
            let tampered = checkpoint.replace(cosignature, &with_bit_flipped(cosignature, bit));
            let outcome = parsed.check(tampered.as_bytes());
            assert!(
                !outcome.is_ok_and(|witnessed| witnessed.satisfies_policy),
                "bit {bit} of {cosignature} flipped still satisfies the policy"
            );
        }
    }
    // And through the command line, for one flipped bit in the signature itself.
    let flipped = checkpoint.replace(dropped, &with_bit_flipped(dropped, 40 * 8));
    let flipped_path = with_checkpoint(&dir, "flipped.json", &bundle, &flipped);
    let (verified, said) =
        einblick_verify(&["verify", &flipped_path, "--key", key, "--policy", policy]);
    assert!(!verified, "{said}");
    assert!(said.contains("does not verify"), "{said}");

    // The same proof as a C2SP tlog-proof file, checked by an independent implementation.
    let response = anna.get(&format!("/timeline/{entry}/tlog-proof"));
    assert_eq!(response.status, 200, "{}", response.body);
    assert!(
        response.body.starts_with("c2sp.org/tlog-proof@v1\nextra "),
        "{}",
        response.body
    );
    assert!(!response.body.contains("employee_id"));
    let tlog_proof_path = dir.0.join("entry.tlog-proof");
    std::fs::write(&tlog_proof_path, &response.bytes).unwrap();
    let checked = run(
        "python3",
        &[
            WITNESS_CHECKER,
            keys.verifier_key(),
            policy,
            tlog_proof_path.to_str().unwrap(),
        ],
    );
    for line in [
        "signed by the log",
        "included in checkpoint",
        "cosigned by authority-a, authority-b: the policy's quorum is met",
        "flipped bits in any cosignature fail",
    ] {
        assert!(checked.contains(line), "{checked}");
    }
    // Only the entry's owner gets it.
    let response = app
        .signed_in("ben@example.com")
        .get(&format!("/timeline/{entry}/tlog-proof"));
    assert_eq!(response.status, 404);

    // The cosignatures are kept: the witnesses' sizes are the checkpoint's.
    let stored = app
        .with_connection(|conn| {
            einblick::db::witness::cosignatures_of(conn, bundle_size(&checkpoint))
        })
        .unwrap();
    assert_eq!(stored.len(), 2);
    drop((first, second));
}

/// A copy of `bundle` with `checkpoint` in its place, written to `file`; its path.
fn with_checkpoint(
    dir: &tempfile_dir::TempDir,
    file: &str,
    bundle: &serde_json::Value,
    checkpoint: &str,
) -> String {
    let mut altered = bundle.clone();
    altered["checkpoint"] = checkpoint.into();
    let path = dir.0.join(file);
    std::fs::write(&path, altered.to_string()).unwrap();
    path.display().to_string()
}

/// The signature line with bit `bit` of its (decoded) payload flipped.
fn with_bit_flipped(line: &str, bit: usize) -> String {
    let engine = base64::engine::general_purpose::STANDARD;
    let (name, encoded) = line.trim_start_matches("— ").split_once(' ').unwrap();
    let mut payload = engine.decode(encoded).unwrap();
    assert_eq!(payload.len(), 76, "a cosignature/v1 is 76 bytes");
    payload[bit / 8] ^= 1 << (bit % 8);
    format!("— {name} {}", engine.encode(&payload))
}

fn bundle_size(checkpoint: &str) -> i64 {
    checkpoint.lines().nth(1).unwrap().parse().unwrap()
}

fn a_proof_while_the_witnesses_are_down_says_it_is_not_witnessed(backend: Backend) {
    let dir = tempfile_dir::TempDir::new(&format!("{}_unwitnessed", unique_name()));
    let key_dir = dir.0.join("log-keys");
    let keys = LogKeys::load_or_create(&key_dir, ORIGIN).unwrap();
    // A witness whose key is known but which is not running: nothing listens on its port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let absent = einblick::transparency::witness::WitnessSigner::new(
        "absent.test/witness",
        ed25519_dalek::SigningKey::from_bytes(&[9; 32]),
    );
    let policy_text = format!(
        "witness absent {} http://127.0.0.1:{port}\nquorum absent\n",
        absent.public().encode()
    );
    let policy_path = dir.0.join("policy.txt");
    std::fs::write(&policy_path, &policy_text).unwrap();
    let app = TestApp::spawn_with(
        backend,
        &[
            ("EINBLICK_LOG_KEY_DIR", key_dir.to_str().unwrap()),
            ("EINBLICK_LOG_ORIGIN", ORIGIN),
            ("EINBLICK_WITNESS_POLICY", policy_path.to_str().unwrap()),
        ],
        true,
    );
    let mut anna = app.signed_in("anna@example.com");
    let entries = anna.get("/api/v1/me/access-events?limit=5").json();
    let entry = entries["items"][0]["id"].as_str().unwrap().to_owned();
    for _ in 0..2 {
        let response = anna.get(&format!("/timeline/{entry}/proof"));
        assert_eq!(response.status, 200, "{}", response.body);
        let bundle = response.json();
        assert!(bundle.get("witnessed_by").is_none(), "{bundle}");
        let bundle_path = dir.0.join("proof.json");
        std::fs::write(&bundle_path, &response.bytes).unwrap();
        let key_file = dir.0.join("log.vkey");
        std::fs::write(&key_file, keys.verifier_key()).unwrap();
        let (verified, said) = einblick_verify(&[
            "verify",
            bundle_path.to_str().unwrap(),
            "--key",
            key_file.to_str().unwrap(),
            "--policy",
            policy_path.to_str().unwrap(),
        ]);
        assert!(!verified, "{said}");
        assert!(said.contains("no witness of the policy"), "{said}");
    }
    let page = anna.get("/timeline");
    assert!(
        !page.body.contains("Bezeugt von"),
        "not witnessed, not said"
    );
}
