//! The feed's hardening (issue 12, items 2–4): an event the database refuses never takes good
//! events down with it or stops a stream, the token is checked before the body is read, and no
//! channel can send (or have replayed) a source it is not bound to.

use std::io::{Read, Write};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use einblick::db::schema::{access_events, dead_letters};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    item2_a_nul_byte_is_rejected_and_the_good_events_of_its_batch_are_stored_over_http,
    item2_a_nul_byte_never_stops_the_nats_stream,
    item2_a_nul_byte_is_rejected_on_import_and_the_rest_imported,
    item2_an_event_the_database_refuses_is_split_out_and_kept_as_a_dead_letter,
    item3_the_feed_token_is_checked_before_the_body_is_read,
    item4_a_replay_is_judged_by_the_policy_of_the_channel_it_came_in_on,
    item4_nats_subjects_only_carry_the_sources_bound_to_them,
);

const SOURCE: &str = "/crm/support-console";
const NATS_URL: &str = "nats://127.0.0.1:4222";

fn event(id: &str, source: &str) -> Value {
    json!({
        "specversion": "1.0", "id": id, "source": source, "type": "einblick.access.v1",
        "time": "2026-11-21T09:30:00Z",
        "data": {
            "customer_ref": ANNA_REF,
            "actor": { "employee_id": "E-7781", "role": "cs_agent_t1" },
            "data_category": "purchase_history", "action": "view",
            "reason": { "code": "customer_request", "text": "Asked about a parcel", "ticket": "T-1" }
        }
    })
}

/// The event with a NUL byte in its free-text reason (and, for good measure, in its id).
fn poisoned(id: &str, source: &str) -> Value {
    let mut poisoned = event(id, source);
    poisoned["data"]["reason"]["text"] = "looked\u{0}up".into();
    poisoned
}

fn token(app: &TestApp, sources: &[&str]) -> String {
    let sources: Vec<String> = sources.iter().map(|s| (*s).to_owned()).collect();
    app.with_connection(|conn| {
        einblick::ingest::token::create(conn, "test", &sources, chrono::Utc::now().naive_utc())
    })
    .unwrap()
    .1
}

fn send_batch(app: &TestApp, token: &str, events: &[Value]) -> Response {
    app.client().post_raw(
        "/api/v1/feed/events",
        "application/cloudevents-batch+json",
        serde_json::to_string(events).unwrap().as_bytes(),
        &[("Authorization", &format!("Bearer {token}"))],
    )
}

fn stored(app: &TestApp, event_id: &str) -> i64 {
    app.with_connection(|conn| {
        access_events::table
            .filter(access_events::event_id.eq(event_id))
            .count()
            .get_result(conn)
    })
    .unwrap()
}

/// Dead letters as (event id, reason).
fn dead_letters_of(app: &TestApp) -> Vec<(Option<String>, String)> {
    app.with_connection(|conn| {
        dead_letters::table
            .select((dead_letters::event_id, dead_letters::reason))
            .order(dead_letters::id)
            .load(conn)
    })
    .unwrap()
}

fn item2_a_nul_byte_is_rejected_and_the_good_events_of_its_batch_are_stored_over_http(
    backend: Backend,
) {
    let app = TestApp::spawn(backend);
    let token = token(&app, &[SOURCE]);
    let mut with_nul_id = event("evt-\u{0}-id", SOURCE);
    with_nul_id["data"]["system"] = "support\u{0}console".into();
    let batch = [
        event("good-1", SOURCE),
        poisoned("evt-nul", SOURCE),
        event("good-2", SOURCE),
        with_nul_id,
        event("good-3", SOURCE),
    ];
    let response = send_batch(&app, &token, &batch);
    assert_eq!(response.status, 200, "{}", response.body);
    let report = response.json();
    assert_eq!(report["accepted"], 3, "{report}");
    assert_eq!(report["rejected"], 2, "{report}");
    let reasons: Vec<&str> = report["rejections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons.iter().all(|r| r.contains("control characters")),
        "{reasons:?}"
    );
    for good in ["good-1", "good-2", "good-3"] {
        assert_eq!(stored(&app, good), 1, "{good}");
    }
    let letters = dead_letters_of(&app);
    assert_eq!(letters.len(), 2, "{letters:?}");
    assert_eq!(letters[0].0.as_deref(), Some("evt-nul"));
    // An id the database could not store is left out; the raw bytes keep it.
    assert_eq!(letters[1].0, None);
}

fn item2_a_nul_byte_never_stops_the_nats_stream(backend: Backend) {
    let tag = unique_name();
    let subject = format!("einblick.hardening.{tag}");
    let stream = format!("HARDENING_{}", tag.to_uppercase());
    let app = TestApp::spawn_with(
        backend,
        &[
            ("EINBLICK_NATS_URL", NATS_URL),
            ("EINBLICK_NATS_STREAM", &stream),
            ("EINBLICK_NATS_SUBJECT", &format!("{subject}.>")),
            ("EINBLICK_NATS_CONSUMER", "hardening"),
            ("EINBLICK_NATS_SOURCES", &format!("{subject}.>={SOURCE}")),
        ],
        true,
    );
    let publish = |events: Vec<Value>| {
        let (stream, subject) = (stream.clone(), subject.clone());
        actix_web::rt::System::new().block_on(async move {
            let client = async_nats::connect(NATS_URL)
                .await
                .expect("NATS runs on 127.0.0.1:4222");
            let context = async_nats::jetstream::new(client);
            let _ = context
                .get_or_create_stream(async_nats::jetstream::stream::Config {
                    name: stream,
                    subjects: vec![format!("{subject}.>")],
                    ..Default::default()
                })
                .await;
            for event in events {
                context
                    .publish(format!("{subject}.crm"), event.to_string().into())
                    .await
                    .unwrap()
                    .await
                    .expect("stored by JetStream");
            }
        });
    };
    // The poisoned event shares its fetch with good ones.
    publish(vec![
        event("nats-good-1", SOURCE),
        poisoned("nats-nul", SOURCE),
        event("nats-good-2", SOURCE),
    ]);
    wait_until(
        || stored(&app, "nats-good-2") == 1,
        "the good events are stored",
    );
    assert_eq!(stored(&app, "nats-good-1"), 1);
    assert_eq!(stored(&app, "nats-nul"), 0);
    // The stream keeps flowing after it.
    publish(vec![event("nats-after", SOURCE)]);
    wait_until(
        || stored(&app, "nats-after") == 1,
        "an event after the poisoned one is stored",
    );
    let letters = dead_letters_of(&app);
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert!(letters[0].1.contains("control characters"), "{letters:?}");
    delete_stream(&stream);
}

fn item2_a_nul_byte_is_rejected_on_import_and_the_rest_imported(backend: Backend) {
    let database = ScratchDatabase::new(backend);
    let dir = tempfile_dir::TempDir::new(&format!("{}_import", unique_name()));
    let file = dir.0.join("events.ndjson");
    let lines = [
        event("imp-good-1", "/import/test"),
        poisoned("imp-nul", "/import/test"),
        event("imp-good-2", "/import/test"),
    ]
    .map(|e| e.to_string())
    .join("\n");
    std::fs::write(&file, lines).unwrap();
    let output = einblick_binary()
        .args(["import", file.to_str().unwrap()])
        .env("DATABASE_URL", database.url())
        .env("EINBLICK_LOG", "warn")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        said.contains("2 accepted, 0 duplicates, 1 rejected"),
        "{said}"
    );
    assert!(
        said.contains("line 2: data.reason.text contains control characters"),
        "{said}"
    );
}

/// A refusal the parser cannot see coming (here: a trigger) must not take the rest down.
fn item2_an_event_the_database_refuses_is_split_out_and_kept_as_a_dead_letter(backend: Backend) {
    let app = TestApp::spawn(backend);
    app.with_connection(|conn| match backend {
        Backend::Sqlite => conn.batch_execute(
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON access_events \
             WHEN NEW.event_id = 'db-refuses' \
             BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END;",
        ),
        Backend::Postgres => conn.batch_execute(
            "CREATE FUNCTION refuse_poison() RETURNS trigger AS $$ BEGIN \
               IF NEW.event_id = 'db-refuses' THEN \
                 RAISE EXCEPTION 'refused by the test trigger'; \
               END IF; RETURN NEW; END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER refuse_poison BEFORE INSERT ON access_events \
               FOR EACH ROW EXECUTE FUNCTION refuse_poison();",
        ),
    })
    .unwrap();
    let token = token(&app, &[SOURCE]);
    let mut batch: Vec<Value> = (0..9)
        .map(|i| event(&format!("split-{i}"), SOURCE))
        .collect();
    batch.insert(5, event("db-refuses", SOURCE));
    let response = send_batch(&app, &token, &batch);
    assert_eq!(response.status, 200, "{}", response.body);
    let report = response.json();
    assert_eq!(report["accepted"], 9, "{report}");
    assert_eq!(report["rejected"], 1, "{report}");
    assert_eq!(report["rejections"][0]["position"], 5, "{report}");
    assert_eq!(report["rejections"][0]["id"], "db-refuses", "{report}");
    for i in 0..9 {
        assert_eq!(stored(&app, &format!("split-{i}")), 1);
    }
    let letters = dead_letters_of(&app);
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert!(letters[0].1.contains("database refused"), "{letters:?}");
    // The verifiable log has no gap where the refused event was.
    let leaves: Vec<i64> = app
        .with_connection(|conn| {
            access_events::table
                .select(access_events::leaf_index)
                .order(access_events::leaf_index)
                .load(conn)
        })
        .unwrap();
    assert!(leaves.windows(2).all(|pair| pair[1] == pair[0] + 1));
}

/// Headers promising a body that never comes: a server that reads the body first waits for it;
/// one that checks the token first answers at once.
fn item3_the_feed_token_is_checked_before_the_body_is_read(backend: Backend) {
    let app = TestApp::spawn(backend);
    let address = app.base_url.trim_start_matches("http://");
    let mut connection = std::net::TcpStream::connect(address).unwrap();
    connection
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        connection,
        "POST /api/v1/feed/events HTTP/1.1\r\nHost: {address}\r\n\
         Authorization: Bearer ebf_not-a-token\r\n\
         Content-Type: application/cloudevents-batch+json\r\n\
         Content-Length: 5000000\r\n\r\n["
    )
    .unwrap();
    let mut answer = [0u8; 12];
    connection
        .read_exact(&mut answer)
        .expect("an answer before the body is sent");
    assert_eq!(
        &answer,
        b"HTTP/1.1 401",
        "{}",
        String::from_utf8_lossy(&answer)
    );
}

fn item4_a_replay_is_judged_by_the_policy_of_the_channel_it_came_in_on(backend: Backend) {
    let app = TestApp::spawn(backend);
    let crm_token = token(&app, &[SOURCE]);
    // The CRM's token tries to send the shop's events: rejected and kept.
    let report = send_batch(&app, &crm_token, &[event("forged-1", "/shop/checkout")]).json();
    assert_eq!(report["rejected"], 1, "{report}");
    let id: i64 = app
        .with_connection(|conn| {
            dead_letters::table
                .select(dead_letters::id)
                .order(dead_letters::id.desc())
                .first(conn)
        })
        .unwrap();
    let mut admin = app.staff_signed_in(ADMIN);
    let replayed = admin.post_form(&format!("/staff/admin/dead-letters/{id}/replay"), &[]);
    assert_eq!(
        replayed.header("location").as_deref(),
        Some(format!("/staff/admin/dead-letters/{id}?error=still_rejected").as_str())
    );
    assert_eq!(
        stored(&app, "forged-1"),
        0,
        "a replay must not launder a forgery"
    );
    // The reason is shown from the letter, and nothing typed into the URL is.
    let page = admin.get(&format!(
        "/staff/admin/dead-letters/{id}?error=still_rejected&reason=Call+0800-FAKE"
    ));
    assert!(
        page.body.contains("not allowed on the channel"),
        "{}",
        page.body
    );
    // (The language switch keeps the URL to come back to, still encoded; it is never shown.)
    assert!(!page.body.contains("Call 0800-FAKE"), "{}", page.body);
}

fn item4_nats_subjects_only_carry_the_sources_bound_to_them(backend: Backend) {
    let tag = unique_name();
    let subject = format!("einblick.binding.{tag}");
    let stream = format!("BINDING_{}", tag.to_uppercase());
    let app = TestApp::spawn_with(
        backend,
        &[
            ("EINBLICK_NATS_URL", NATS_URL),
            ("EINBLICK_NATS_STREAM", &stream),
            ("EINBLICK_NATS_SUBJECT", &format!("{subject}.>")),
            ("EINBLICK_NATS_CONSUMER", "binding"),
            ("EINBLICK_NATS_SOURCES", &format!("{subject}.crm=/crm/*")),
        ],
        true,
    );
    let (stream_name, subject_name) = (stream.clone(), subject.clone());
    actix_web::rt::System::new().block_on(async move {
        let client = async_nats::connect(NATS_URL).await.unwrap();
        let context = async_nats::jetstream::new(client);
        let _ = context
            .get_or_create_stream(async_nats::jetstream::stream::Config {
                name: stream_name,
                subjects: vec![format!("{subject_name}.>")],
                ..Default::default()
            })
            .await;
        for (on, id, source) in [
            ("crm", "bound-ok", "/crm/support-console"),
            ("crm", "bound-forged", "/shop/checkout"),
            ("wms", "unbound-subject", "/crm/support-console"),
        ] {
            context
                .publish(
                    format!("{subject_name}.{on}"),
                    event(id, source).to_string().into(),
                )
                .await
                .unwrap()
                .await
                .unwrap();
        }
    });
    wait_until(
        || dead_letters_of(&app).len() == 2 && stored(&app, "bound-ok") == 1,
        "the bound event is stored and the other two kept as dead letters",
    );
    assert_eq!(stored(&app, "bound-forged"), 0);
    assert_eq!(stored(&app, "unbound-subject"), 0);
    delete_stream(&stream);
}

fn wait_until(mut done: impl FnMut() -> bool, what: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn delete_stream(stream: &str) {
    let stream = stream.to_owned();
    actix_web::rt::System::new().block_on(async move {
        let client = async_nats::connect(NATS_URL).await.unwrap();
        let _ = async_nats::jetstream::new(client)
            .delete_stream(&stream)
            .await;
    });
}
