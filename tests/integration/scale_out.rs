//! Several `einblick` processes on one database: readiness for a load balancer, and one set of
//! log keys for all of them (`transparency::identity`).

use std::path::Path;

use diesel::prelude::*;
use einblick::db::schema::log_identity;
use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    readiness_says_which_check_fails,
    processes_with_other_log_keys_refuse_to_start,
    a_log_signed_before_its_keys_were_recorded_accepts_only_its_signing_key,
);

fn readiness_says_which_check_fails(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[], false);
    let ready = app.client().get("/readyz");
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert_eq!(
        ready.json(),
        json!({
            "status": "ready",
            "checks": { "database": "ok", "migrations": "ok", "log_keys": "ok" },
        })
    );

    // Another key recorded for the log (as if another process had started first with its own).
    app.with_connection(|conn| {
        diesel::update(log_identity::table)
            .set(log_identity::verifier_key.eq("elsewhere+00000000+AQ"))
            .execute(conn)
            .unwrap();
    });
    let keys_differ = not_ready(&app);
    assert_eq!(
        keys_differ["log_keys"],
        "the log is kept with other keys than this process loaded"
    );

    // The database is ahead: a newer release migrated it (this process is the old one).
    execute(
        &app,
        "INSERT INTO __diesel_schema_migrations (version) VALUES ('29991231000001')",
    );
    assert_eq!(
        not_ready(&app)["migrations"],
        "the database has 1 migration(s) this binary does not know: it is older than the database"
    );

    // A migration this binary embeds has not run (as if the database were older).
    execute(
        &app,
        "DELETE FROM __diesel_schema_migrations WHERE version = '29991231000001'",
    );
    execute(
        &app,
        "DELETE FROM __diesel_schema_migrations \
         WHERE version = (SELECT max(version) FROM __diesel_schema_migrations)",
    );
    let behind = not_ready(&app);
    assert_eq!(behind["migrations"], "1 migration(s) not applied");
    assert_eq!(behind["database"], "ok");
}

fn execute(app: &TestApp, sql: &str) {
    app.with_connection(|conn| diesel::sql_query(sql).execute(conn).unwrap());
}

/// `/readyz` answering 503 "not ready": its checks.
fn not_ready(app: &TestApp) -> serde_json::Value {
    let answer = app.client().get("/readyz");
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert_eq!(answer.json()["status"], "not ready");
    answer.json()["checks"].clone()
}

fn key_dir_env<'a>(url: &'a str, key_dir: &'a str) -> [(&'a str, &'a str); 2] {
    [("DATABASE_URL", url), ("EINBLICK_LOG_KEY_DIR", key_dir)]
}

fn processes_with_other_log_keys_refuse_to_start(backend: Backend) {
    let database = ScratchDatabase::new(backend);
    let url = database.url();
    let shared = tempfile_dir::TempDir::new(&format!("{}_shared_keys", unique_name()));
    let shared_dir = shared.0.to_string_lossy().into_owned();
    let first = ServedBinary::start(&[], &key_dir_env(&url, &shared_dir)).expect("serves");

    // A second process with keys of its own would sign the same log with another key.
    let own = tempfile_dir::TempDir::new(&format!("{}_own_keys", unique_name()));
    let own_dir = own.0.to_string_lossy().into_owned();
    let refused = ServedBinary::start(&[], &key_dir_env(&url, &own_dir))
        .err()
        .expect("a process with another signing key refuses to start");
    assert!(refused.contains("checkpoint-signing.key"), "{refused}");
    assert!(refused.contains("EINBLICK_LOG_KEY_DIR"), "{refused}");
    // So does a command that would write to the log with it.
    let checkpoint = einblick_binary()
        .arg("checkpoint")
        .env("DATABASE_URL", &url)
        .env("EINBLICK_LOG_KEY_DIR", &own_dir)
        .output()
        .unwrap();
    assert!(!checkpoint.status.success());
    assert!(String::from_utf8_lossy(&checkpoint.stderr).contains("checkpoint-signing.key"));

    // The same signing key with another customer-hash key would break every customer's chain.
    let half = tempfile_dir::TempDir::new(&format!("{}_half_keys", unique_name()));
    std::fs::copy(
        Path::new(&shared_dir).join("checkpoint-signing.key"),
        half.0.join("checkpoint-signing.key"),
    )
    .unwrap();
    let half_dir = half.0.to_string_lossy().into_owned();
    let refused = ServedBinary::start(&[], &key_dir_env(&url, &half_dir))
        .err()
        .expect("a process with another customer-hash key refuses to start");
    assert!(refused.contains("customer-ref.key"), "{refused}");

    // Nor may a process keep another log in the same database.
    let elsewhere = tempfile_dir::TempDir::new(&format!("{}_elsewhere_keys", unique_name()));
    let elsewhere_dir = elsewhere.0.to_string_lossy().into_owned();
    let refused = ServedBinary::start(
        &[],
        &[
            ("DATABASE_URL", url.as_str()),
            ("EINBLICK_LOG_KEY_DIR", &elsewhere_dir),
            ("EINBLICK_LOG_ORIGIN", "elsewhere.example/log"),
        ],
    )
    .err()
    .expect("a process for another log refuses to start");
    assert!(refused.contains("this database holds the log"), "{refused}");

    // A second process with the shared keys serves beside the first.
    let second = ServedBinary::start(&[], &key_dir_env(&url, &shared_dir)).expect("serves");
    for server in [&first, &second] {
        let ready = server.client().get("/readyz");
        assert_eq!(ready.status, 200, "{}", ready.body);
    }
}

fn a_log_signed_before_its_keys_were_recorded_accepts_only_its_signing_key(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[], false);
    let at = chrono::Utc::now().naive_utc() - chrono::Duration::hours(1);
    insert_event(&app, ANNA_REF, "before-record-1", "cs_agent_t1", at, None);
    let run_checkpoint = |key_dir: &Path| {
        einblick_binary()
            .arg("checkpoint")
            .env("DATABASE_URL", url_of(app.db.location()))
            .env("EINBLICK_LOG_KEY_DIR", key_dir)
            .env("EINBLICK_LOG", "warn")
            .output()
            .unwrap()
    };
    let signed = run_checkpoint(&app.log_key_dir);
    assert!(
        signed.status.success(),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    // A database from before the keys were recorded: only its checkpoints tell the key.
    app.with_connection(|conn| {
        diesel::delete(log_identity::table).execute(conn).unwrap();
    });
    insert_event(&app, ANNA_REF, "before-record-2", "cs_agent_t1", at, None);
    let other = tempfile_dir::TempDir::new(&format!("{}_other_keys", unique_name()));
    let refused = run_checkpoint(&other.0);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("does not verify with this server's key"),
        "{said}"
    );
    // The right signing key with another customer-hash key: the newest entry tells.
    let half = tempfile_dir::TempDir::new(&format!("{}_half_keys", unique_name()));
    std::fs::copy(
        app.log_key_dir.join("checkpoint-signing.key"),
        half.0.join("checkpoint-signing.key"),
    )
    .unwrap();
    let refused = run_checkpoint(&half.0);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("another customer-ref.key"), "{said}");
    let recorded: i64 =
        app.with_connection(|conn| log_identity::table.count().get_result(conn).unwrap());
    assert_eq!(recorded, 0, "a refused key is not recorded");

    let signed = run_checkpoint(&app.log_key_dir);
    assert!(
        signed.status.success(),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    let recorded: Vec<String> = app.with_connection(|conn| {
        log_identity::table
            .select(log_identity::verifier_key)
            .load(conn)
            .unwrap()
    });
    assert_eq!(recorded, vec![app.keys.verifier_key().to_owned()]);
}
