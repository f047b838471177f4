//! The verifiable access log: a customer's proof bundle verifies with our CLI and with
//! independent implementations of the specs (Python's tlog-scales and rfc8785), the tiles and
//! checkpoints follow C2SP, consistency proofs hold, proofs are for the entry's owner only, and
//! `einblick audit` catches an edited or deleted event, and a leaf hash stored at insert that is
//! not its event's.

use std::process::Command;

use chrono::{Duration, Utc};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    a_customer_proves_an_entry_is_in_the_signed_log,
    proofs_are_only_for_the_entrys_owner,
    audit_catches_an_edited_or_deleted_event,
    checkpoints_use_stored_leaf_hashes_and_audit_recomputes_them,
    tiles_and_checkpoints_are_served_per_c2sp,
    a_whole_timeline_shows_a_missing_entry
);

const CHECKER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/integration/independent_log_check.py"
);

pub(crate) fn einblick(app: &TestApp) -> Command {
    let mut command = einblick_binary();
    command
        .env("DATABASE_URL", url_of(app.db.location()))
        .env("EINBLICK_LOG_KEY_DIR", &app.log_key_dir)
        .env("EINBLICK_LOG", "warn");
    command
}

/// `einblick checkpoint`, which must succeed.
pub(crate) fn sign_checkpoint(app: &TestApp) {
    let checkpoint = einblick(app).arg("checkpoint").output().unwrap();
    assert!(
        checkpoint.status.success(),
        "{}",
        String::from_utf8_lossy(&checkpoint.stderr)
    );
}

/// `einblick audit`, which must find every logged event unchanged.
pub(crate) fn assert_audit_finds_the_log_intact(app: &TestApp) {
    let audit = einblick(app).arg("audit").output().unwrap();
    let said = String::from_utf8_lossy(&audit.stdout);
    assert!(
        audit.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&audit.stderr)
    );
    assert!(
        said.contains("OK: every logged event is unchanged"),
        "{said}"
    );
}

fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, &[("EINBLICK_CHECKPOINT_EVERY_SECONDS", "1")], true)
}

fn first_entry_id(client: &mut Client) -> String {
    let response = client.get("/api/v1/me/access-events?limit=5");
    assert_eq!(response.status, 200, "{}", response.body);
    response.json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn write_temp(dir: &tempfile_dir::TempDir, name: &str, bytes: &[u8]) -> String {
    let path = dir.0.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

fn a_customer_proves_an_entry_is_in_the_signed_log(backend: Backend) {
    let app = spawn(backend);
    let mut anna = app.signed_in("anna@example.com");
    let entry = first_entry_id(&mut anna);
    let response = anna.get(&format!("/timeline/{entry}/proof"));
    assert_eq!(response.status, 200, "{}", response.body);
    assert!(response
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment"));
    let bundle = response.json();
    assert_eq!(bundle["format"], "einblick.proof-bundle.v2");
    let leaf: serde_json::Value = serde_json::from_str(bundle["leaf"].as_str().unwrap()).unwrap();
    assert_eq!(leaf["format"], "einblick.access-leaf.v2");
    assert!(leaf["customer"]
        .as_str()
        .unwrap()
        .starts_with("hmac-sha256:"));
    assert!(leaf["customer_entry"].as_i64().unwrap() >= 1);
    let access: serde_json::Value =
        serde_json::from_str(bundle["access"].as_str().unwrap()).unwrap();
    assert!(access["data"]["actor"]["employee"]
        .as_str()
        .unwrap()
        .starts_with("hmac-sha256:"));
    assert!(
        !response.body.contains("C-100042"),
        "the customer number is never in the log"
    );
    for secret in ["employee_id", "\"team\"", "\"country\"", "E-10"] {
        assert!(
            !response.body.contains(secret),
            "a customer's bundle never names the employee: {secret}"
        );
    }
    let public_key = anna.get("/log/key").body;
    assert_eq!(
        public_key.trim(),
        bundle["log_public_key"].as_str().unwrap()
    );

    let dir = tempfile_dir::TempDir::new(&format!("{}_bundle", unique_name()));
    let bundle_path = write_temp(&dir, "bundle.json", &response.bytes);
    let output = einblick(&app)
        .args(["verify", &bundle_path, "--key", public_key.trim()])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(said.starts_with("VERIFIED: this access is entry"), "{said}");

    // One flipped bit in the leaf: refused, with the reason.
    let mut tampered = bundle.clone();
    let leaf_text = bundle["leaf"]
        .as_str()
        .unwrap()
        .replace("access-leaf.v2", "access-leaf.v1");
    tampered["leaf"] = leaf_text.into();
    let tampered_path = write_temp(&dir, "tampered.json", tampered.to_string().as_bytes());
    let output = einblick(&app)
        .args(["verify", &tampered_path, "--key", public_key.trim()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("NOT VERIFIED") && said.contains("inclusion proof"),
        "{said}"
    );

    // A new access after the checkpoint: its proof comes with a newer checkpoint, which is
    // consistent with the first one.
    let old_size = checkpoint_size(&bundle);
    insert_event(
        &app,
        "C-100042",
        "evt-after",
        "cs_agent_t1",
        Utc::now().naive_utc(),
        None,
    );
    let newest = first_entry_id(&mut anna);
    let newer = anna.get(&format!("/timeline/{newest}/proof"));
    assert_eq!(newer.status, 200, "{}", newer.body);
    let new_size = checkpoint_size(&newer.json());
    assert!(new_size > old_size);
    let consistency = anna.get(&format!("/log/consistency?old={old_size}&new={new_size}"));
    assert_eq!(consistency.status, 200, "{}", consistency.body);
    assert_eq!(consistency.json()["old_size"], old_size);
    let consistency_path = write_temp(&dir, "consistency.json", &consistency.bytes);

    let checked = run(
        "python3",
        &[
            CHECKER,
            &format!("{}/log", app.base_url),
            public_key.trim(),
            &bundle_path,
            &consistency_path,
        ],
    );
    for line in [
        "tiles reproduce its root",
        &format!("included in checkpoint {old_size}"),
        "flipped bits fail",
        &format!("checkpoint {old_size} is a prefix of {new_size}"),
    ] {
        assert!(checked.contains(line), "{checked}");
    }
    let newer_path = write_temp(&dir, "newer.json", &newer.bytes);
    let checked = run(
        "python3",
        &[
            CHECKER,
            &format!("{}/log", app.base_url),
            public_key.trim(),
            &newer_path,
        ],
    );
    assert!(
        checked.contains(&format!("included in checkpoint {new_size}")),
        "{checked}"
    );

    // Sizes the log never signed have no consistency proof.
    assert_eq!(
        anna.get(&format!("/log/consistency?old={}", old_size - 1))
            .status,
        400
    );
    assert_eq!(anna.get("/log/consistency?old=abc").status, 400);
}

fn checkpoint_size(bundle: &serde_json::Value) -> u64 {
    bundle["checkpoint"]
        .as_str()
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap()
}

fn proofs_are_only_for_the_entrys_owner(backend: Backend) {
    let app = spawn(backend);
    let mut anna = app.signed_in("anna@example.com");
    let annas_entry = first_entry_id(&mut anna);
    let mut ben = app.signed_in("ben@example.com");
    assert_eq!(
        ben.get(&format!("/timeline/{annas_entry}/proof")).status,
        404
    );
    assert_eq!(ben.get("/timeline/999999999/proof").status, 404);
    assert_eq!(ben.get("/timeline/not-a-number/proof").status, 404);
    let response = app.client().get(&format!("/timeline/{annas_entry}/proof"));
    assert_eq!(response.status, 303);
    assert!(response.header("location").unwrap().starts_with("/login"));

    // An embargoed entry is not in the timeline yet, so it has no proof yet either.
    let later = Utc::now().naive_utc() + Duration::days(30);
    insert_event(
        &app,
        "C-100042",
        "evt-embargoed",
        "cs_agent_t1",
        Utc::now().naive_utc(),
        Some(later),
    );
    let embargoed: i64 = app.with_connection(|conn| {
        use diesel::prelude::*;
        use einblick::db::schema::access_events::dsl as ae;
        ae::access_events
            .filter(ae::event_id.eq("evt-embargoed"))
            .select(ae::id)
            .first(conn)
            .unwrap()
    });
    assert_eq!(
        anna.get(&format!("/timeline/{embargoed}/proof")).status,
        404
    );

    // The timeline offers the proof next to each entry.
    let page = anna.get("/timeline");
    assert!(
        page.body
            .contains(&format!("href=\"/timeline/{annas_entry}/proof\"")),
        "no proof link"
    );
}

fn audit_catches_an_edited_or_deleted_event(backend: Backend) {
    let app = spawn(backend);
    insert_event(
        &app,
        "C-100043",
        "evt-to-delete",
        "cs_agent_t1",
        Utc::now().naive_utc(),
        None,
    );
    sign_checkpoint(&app);
    assert_audit_finds_the_log_intact(&app);

    // Someone with database access rewrites a reason and deletes an event.
    let (edited_leaf, deleted_leaf) = app.with_connection(|conn| {
        use diesel::prelude::*;
        use einblick::db::schema::access_events::dsl as ae;
        let edited: (i64, i64) = ae::access_events
            .filter(ae::customer_ref.eq("C-100001"))
            .order(ae::leaf_index)
            .select((ae::id, ae::leaf_index))
            .first(conn)
            .unwrap();
        diesel::update(ae::access_events.filter(ae::id.eq(edited.0)))
            .set(ae::reason_text.eq("Customer asked for it"))
            .execute(conn)
            .unwrap();
        let deleted: i64 = ae::access_events
            .filter(ae::event_id.eq("evt-to-delete"))
            .select(ae::leaf_index)
            .first(conn)
            .unwrap();
        // Its explanation goes first (a foreign key), as whoever deletes it would do.
        let deleted_id: i64 = ae::access_events
            .filter(ae::event_id.eq("evt-to-delete"))
            .select(ae::id)
            .first(conn)
            .unwrap();
        use einblick::db::schema::access_explanations::dsl as ax;
        diesel::delete(ax::access_explanations.filter(ax::access_event_id.eq(deleted_id)))
            .execute(conn)
            .unwrap();
        diesel::delete(ae::access_events.filter(ae::event_id.eq("evt-to-delete")))
            .execute(conn)
            .unwrap();
        (edited.1, deleted)
    });
    let audit = einblick(&app).arg("audit").output().unwrap();
    assert!(!audit.status.success(), "tampering must fail the audit");
    let said = String::from_utf8_lossy(&audit.stdout);
    assert!(
        said.contains(&format!("leaf {edited_leaf}: the event")) && said.contains("was changed"),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "leaf {deleted_leaf}: its access event was removed"
        )),
        "{said}"
    );
    assert!(
        said.contains("the events no longer add up to the signed root"),
        "{said}"
    );
    assert!(String::from_utf8_lossy(&audit.stderr).contains("finding(s)"));
}

/// Checkpoints extend the tree from the leaf hashes the insert stored, and hash the event where
/// none is stored (leaves from before the column). A stored hash that is not its event's gets
/// signed, but `einblick audit`, which recomputes every leaf, reports that leaf as changed.
fn checkpoints_use_stored_leaf_hashes_and_audit_recomputes_them(backend: Backend) {
    // No cadence during the test: the checkpoint below is the only one.
    let app = TestApp::spawn_with(
        backend,
        &[
            ("EINBLICK_CHECKPOINT_EVERY_EVENTS", "1000000"),
            ("EINBLICK_CHECKPOINT_EVERY_SECONDS", "3600"),
        ],
        false,
    );
    let now = Utc::now().naive_utc();
    for n in 0..3 {
        insert_event(
            &app,
            "C-100001",
            &format!("evt-stored-{n}"),
            "cs_agent_t1",
            now,
            None,
        );
    }
    let (unstored_leaf, forged_leaf) = app.with_connection(|conn| {
        use diesel::prelude::*;
        use einblick::db::schema::access_events::dsl as ae;
        let leaf_of = |conn: &mut _, event_id: &str| -> i64 {
            ae::access_events
                .filter(ae::event_id.eq(event_id))
                .select(ae::leaf_index)
                .first(conn)
                .unwrap()
        };
        let stored: Vec<Option<Vec<u8>>> =
            ae::access_events.select(ae::leaf_hash).load(conn).unwrap();
        assert!(stored
            .iter()
            .all(|hash| hash.as_ref().is_some_and(|h| h.len() == 32)));
        diesel::update(ae::access_events.filter(ae::event_id.eq("evt-stored-0")))
            .set(ae::leaf_hash.eq(None::<Vec<u8>>))
            .execute(conn)
            .unwrap();
        diesel::update(ae::access_events.filter(ae::event_id.eq("evt-stored-2")))
            .set(ae::leaf_hash.eq(Some(vec![7u8; 32])))
            .execute(conn)
            .unwrap();
        (leaf_of(conn, "evt-stored-0"), leaf_of(conn, "evt-stored-2"))
    });
    sign_checkpoint(&app);

    let audit = einblick(&app).arg("audit").output().unwrap();
    assert!(
        !audit.status.success(),
        "a forged leaf hash must fail the audit"
    );
    let said = String::from_utf8_lossy(&audit.stdout);
    assert!(
        said.contains(&format!("leaf {forged_leaf}: the event")) && said.contains("was changed"),
        "{said}"
    );
    assert!(
        !said.contains(&format!("leaf {unstored_leaf}: ")),
        "the leaf hashed from its event is sound: {said}"
    );
}

fn tiles_and_checkpoints_are_served_per_c2sp(backend: Backend) {
    let app = spawn(backend);
    let mut client = app.client();
    // The demo's events are more than 1,000: the cadence signs at once.
    let mut checkpoint = client.get("/log/checkpoint");
    for _ in 0..50 {
        if checkpoint.status == 200 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        checkpoint = client.get("/log/checkpoint");
    }
    assert_eq!(checkpoint.status, 200, "{}", checkpoint.body);
    let key = client.get("/log/key").body;
    let origin = key.split('+').next().unwrap();
    let lines: Vec<&str> = checkpoint.body.lines().collect();
    assert_eq!(lines[0], origin);
    let size: u64 = lines[1].parse().unwrap();
    assert!(size > 256, "{size}");
    assert_eq!(lines[3], "", "a blank line before the signature");
    assert!(
        lines[4].starts_with(&format!("\u{2014} {origin} ")),
        "{}",
        lines[4]
    );

    let full = client.get("/log/tile/0/000");
    assert_eq!(full.status, 200);
    assert_eq!(full.bytes.len(), 256 * 32);
    assert!(full.header("cache-control").unwrap().contains("immutable"));
    let width = size % 256;
    let last = size / 256;
    if width > 0 {
        let partial = client.get(&format!("/log/tile/0/{last:03}.p/{width}"));
        assert_eq!(partial.status, 200);
        assert_eq!(partial.bytes.len() as u64, width * 32);
        assert_eq!(
            client.get(&format!("/log/tile/0/{last:03}")).status,
            404,
            "not full yet"
        );
        assert_eq!(
            client
                .get(&format!("/log/tile/0/{last:03}.p/{}", width + 1))
                .status,
            404,
            "wider than the checkpoint"
        );
    }
    for bad in [
        "/log/tile/0/1",
        "/log/tile/0/x000/001",
        "/log/tile/0/000.p/0",
        "/log/tile/99/000",
    ] {
        assert_eq!(client.get(bad).status, 404, "{bad}");
    }
    // The level-0 tile holds leaf hashes: the first one is the first event's leaf.
    let first_leaf = app.with_connection(|conn| {
        einblick::db::log::events_by_leaf(conn, 0, 1)
            .unwrap()
            .remove(0)
    });
    let keys = einblick::transparency::LogKeys::load_or_create(&app.log_key_dir, origin).unwrap();
    let leaf = einblick::transparency::leaf::leaf_bytes(&keys, &first_leaf);
    assert_eq!(tlog_leaf_hash(&leaf), full.bytes[..32]);
}

fn tlog_leaf_hash(leaf: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update([0u8]);
    hasher.update(leaf);
    hasher.finalize().to_vec()
}

/// Writes `bundle` to `dir` and runs `einblick verify-timeline` on it (with an earlier bundle if
/// given): (succeeded, what it printed).
pub(crate) fn verify_timeline(
    app: &TestApp,
    dir: &tempfile_dir::TempDir,
    name: &str,
    bundle: &[u8],
    earlier: Option<&str>,
) -> (bool, String) {
    let path = write_temp(dir, name, bundle);
    let key = app.client().get("/log/key").body;
    let mut command = einblick(app);
    command.args(["verify-timeline", &path, "--key", key.trim()]);
    if let Some(earlier) = earlier {
        command.args(["--earlier", earlier]);
    }
    let output = command.output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), said)
}

pub(crate) fn timeline_bundle(client: &mut Client) -> Response {
    let response = client.get("/timeline/proof");
    assert_eq!(response.status, 200, "{}", response.body);
    response
}

/// Deletes an event as someone with database access would: its dependent rows first.
pub(crate) fn delete_event(app: &TestApp, event_id: &str) {
    app.with_connection(|conn| {
        use diesel::prelude::*;
        use einblick::db::schema::access_events::dsl as ae;
        use einblick::db::schema::access_explanations::dsl as ax;
        use einblick::db::schema::pending_alerts::dsl as pa;
        let id: i64 = ae::access_events
            .filter(ae::event_id.eq(event_id))
            .select(ae::id)
            .first(conn)?;
        diesel::delete(ax::access_explanations.filter(ax::access_event_id.eq(id))).execute(conn)?;
        diesel::delete(pa::pending_alerts.filter(pa::access_event_id.eq(id))).execute(conn)?;
        diesel::delete(ae::access_events.filter(ae::id.eq(id))).execute(conn)
    })
    .unwrap();
}

fn move_event(app: &TestApp, event_id: &str, customer_ref: &str) {
    app.with_connection(|conn| {
        use diesel::prelude::*;
        use einblick::db::schema::access_events::dsl as ae;
        diesel::update(ae::access_events.filter(ae::event_id.eq(event_id)))
            .set(ae::customer_ref.eq(customer_ref))
            .execute(conn)
    })
    .unwrap();
}

fn a_whole_timeline_shows_a_missing_entry(backend: Backend) {
    let app = spawn(backend);
    let now = Utc::now().naive_utc();
    for (offset, id, held_back) in [
        (4, "t-first", false),
        (3, "t-held", true),
        (2, "t-middle", false),
        (1, "t-late", false),
        (0, "t-newest", false),
    ] {
        let at = now - Duration::minutes(offset);
        let until = held_back.then(|| now + Duration::days(30));
        insert_event(&app, "C-100042", id, "cs_agent_t1", at, until);
    }
    let mut anna = app.signed_in("anna@example.com");
    let before = timeline_bundle(&mut anna);
    let bundle = before.json();
    assert_eq!(bundle["format"], "einblick.timeline-bundle.v1");
    let entries = bundle["entries"].as_array().unwrap();
    let stored: i64 = app
        .with_connection(|conn| {
            use diesel::prelude::*;
            use einblick::db::schema::access_events::dsl as ae;
            ae::access_events
                .filter(ae::customer_ref.eq("C-100042"))
                .count()
                .get_result(conn)
        })
        .unwrap();
    assert_eq!(
        entries.len() as i64,
        stored,
        "every entry, held back ones too"
    );
    let held: Vec<&serde_json::Value> = entries
        .iter()
        .filter(|entry| entry.get("held_back_until").is_some())
        .collect();
    assert_eq!(held.len(), 1);
    assert!(
        held[0].get("access").is_none(),
        "a held-back entry shows no content"
    );
    for secret in ["C-100042", "E-9999", "Test Team", "employee_id", "t-held"] {
        assert!(!before.body.contains(secret), "{secret} in the bundle");
    }
    let dir = tempfile_dir::TempDir::new(&format!("{}_timeline", unique_name()));
    let (verified, said) = verify_timeline(&app, &dir, "before.json", &before.bytes, None);
    assert!(verified, "{said}");
    assert!(
        said.contains(&format!("timeline of {stored} chained entries is complete")),
        "{said}"
    );
    assert!(said.contains("1 of them held back"), "{said}");
    let before_path = dir.0.join("before.json").display().to_string();

    // Ben's bundle is Ben's alone: another customer hash, none of Anna's entries.
    let ben = timeline_bundle(&mut app.signed_in("ben@example.com")).json();
    assert_ne!(ben["customer"], bundle["customer"]);
    assert!(ben["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|entry| !before.body.contains(entry["leaf"].as_str().unwrap())));
    assert!(app.client().get("/timeline/proof").status != 200);

    // The newest entry deleted: the later bundle is a whole chain, one entry shorter; only the
    // earlier download shows what went missing.
    delete_event(&app, "t-newest");
    let after = timeline_bundle(&mut anna);
    let (verified, said) = verify_timeline(&app, &dir, "after-delete.json", &after.bytes, None);
    assert!(verified, "{said}");
    let (verified, said) = verify_timeline(
        &app,
        &dir,
        "after-delete.json",
        &after.bytes,
        Some(&before_path),
    );
    assert!(!verified, "{said}");
    assert!(
        said.contains("NOT VERIFIED") && said.contains("is not in this one"),
        "{said}"
    );

    // An entry in the middle hidden from the timeline (moved to another customer): the chain
    // breaks at the entry after it.
    move_event(&app, "t-middle", "C-100043");
    let after = timeline_bundle(&mut anna);
    let (verified, said) = verify_timeline(&app, &dir, "after-hide.json", &after.bytes, None);
    assert!(!verified, "{said}");
    assert!(said.contains("an entry is missing"), "{said}");
    // `einblick audit` sees the broken link too.
    sign_checkpoint(&app);
    let audit = einblick(&app).arg("audit").output().unwrap();
    let found = String::from_utf8_lossy(&audit.stdout);
    assert!(!audit.status.success(), "{found}");
    assert!(
        found.contains("link to the customer's previous entry"),
        "{found}"
    );
    move_event(&app, "t-middle", "C-100042");

    // An entry in the middle deleted: the same.
    delete_event(&app, "t-first");
    let after = timeline_bundle(&mut anna);
    let (verified, said) = verify_timeline(&app, &dir, "after-middle.json", &after.bytes, None);
    assert!(!verified, "{said}");
    assert!(said.contains("an entry is missing"), "{said}");

    // The earlier bundle still proves what was there.
    let (verified, said) = verify_timeline(&app, &dir, "before.json", &before.bytes, None);
    assert!(verified, "{said}");

    // A changed byte anywhere in a leaf or an access fails.
    let mut tampered = bundle.clone();
    let access = tampered["entries"][0]["access"].as_str().unwrap().replacen(
        "\"time\":\"2",
        "\"time\":\"1",
        1,
    );
    tampered["entries"][0]["access"] = access.into();
    let (verified, said) = verify_timeline(
        &app,
        &dir,
        "tampered.json",
        tampered.to_string().as_bytes(),
        None,
    );
    assert!(!verified && said.contains("access document"), "{said}");
}
