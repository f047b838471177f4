//! The feed as real producers send it: the official CloudEvents SDKs for Python (PyPI) and
//! JavaScript (npm), in structured and binary content mode over HTTP, and the official Python
//! NATS client in both modes over JetStream. One event sent six ways is stored once.

use base64::Engine;
use diesel::prelude::*;
use einblick::db::schema::{access_events, dead_letters};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    one_event_sent_by_the_official_sdks_in_every_mode_is_stored_once,
    binary_mode_events_are_checked_like_structured_ones_and_kept_with_their_headers,
);

const SOURCE: &str = "/crm/support-console";
const NATS_URL: &str = "nats://127.0.0.1:4222";

fn token(app: &TestApp) -> String {
    app.with_connection(|conn| {
        einblick::ingest::token::create(
            conn,
            "sdk",
            &[SOURCE.to_owned()],
            chrono::Utc::now().naive_utc(),
        )
    })
    .unwrap()
    .1
}

fn access_data() -> Value {
    json!({
        "customer_ref": ANNA_REF,
        "actor": { "employee_id": "E-7781", "role": "cs_agent_t1", "team": "Support Berlin", "country": "DE" },
        "data_category": "purchase_history", "action": "view",
        "reason": { "code": "customer_request", "text": "Grüße aus dem Kundenservice", "ticket": "T-5501" },
        "system": "support-console"
    })
}

/// Runs an SDK script and returns its JSON lines.
fn run_sdk(program: &str, args: &[&str]) -> Vec<Value> {
    run(program, args)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

fn metric_value(app: &TestApp, line_start: &str) -> i64 {
    let page = app.client().get("/metrics").body;
    page.lines()
        .find_map(|line| line.strip_prefix(line_start))
        .map(|value| value.trim().parse().unwrap())
        .unwrap_or(0)
}

fn one_event_sent_by_the_official_sdks_in_every_mode_is_stored_once(backend: Backend) {
    let tag = unique_name();
    let subject = format!("einblick.sdk.{tag}");
    let stream = format!("SDK_{}", tag.to_uppercase());
    let app = TestApp::spawn_with(
        backend,
        &[
            ("EINBLICK_NATS_URL", NATS_URL),
            ("EINBLICK_NATS_STREAM", &stream),
            ("EINBLICK_NATS_SUBJECT", &format!("{subject}.>")),
            ("EINBLICK_NATS_CONSUMER", "sdk"),
            ("EINBLICK_NATS_SOURCES", &format!("{subject}.>=/crm/*")),
        ],
        true,
    );
    let token = token(&app);
    let dir = tempfile_dir::TempDir::new(&format!("{tag}_sdk"));
    let event = dir.0.join("event.json");
    std::fs::write(
        &event,
        json!({
            "attributes": {
                "type": "einblick.access.v1", "source": SOURCE, "id": "sdk-evt-1",
                "time": "2026-11-21T09:30:00Z", "datacontenttype": "application/json"
            },
            "data": access_data()
        })
        .to_string(),
    )
    .unwrap();
    let event = event.to_str().unwrap();
    let url = format!("{}/api/v1/feed/events", app.base_url);
    let script = |name: &str| format!("{}/../tests/integration/{name}", env!("CARGO_MANIFEST_DIR"));

    // Python over HTTP: structured first (stored), binary second (the same event again).
    let python = run_sdk(
        "python3",
        &[&script("cloudevents_sdk.py"), "http", &url, &token, event],
    );
    let reports: Vec<Value> = python
        .iter()
        .map(|line| {
            assert_eq!(line["status"], 200, "{line}");
            serde_json::from_str(line["body"].as_str().unwrap()).unwrap()
        })
        .collect();
    assert_eq!(reports[0]["accepted"], 1, "{reports:?}");
    assert_eq!(
        reports[1]["duplicates"], 1,
        "binary mode is the same event: {reports:?}"
    );
    // JavaScript over HTTP, both modes: the same event twice more.
    for line in run_sdk(
        "node",
        &[&script("cloudevents_sdk.cjs"), &url, &token, event],
    ) {
        assert_eq!(line["status"], 200, "{line}");
        let report: Value = serde_json::from_str(line["body"].as_str().unwrap()).unwrap();
        assert_eq!(report["duplicates"], 1, "{} mode: {report}", line["mode"]);
    }
    // Python over NATS JetStream, both modes.
    let published = run_sdk(
        "python3",
        &[
            &script("cloudevents_sdk.py"),
            "nats",
            NATS_URL,
            &format!("{subject}.crm"),
            event,
        ],
    );
    assert_eq!(published.len(), 2);
    let duplicates = "einblick_feed_events_total{transport=\"nats\",outcome=\"duplicate\"}";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while metric_value(&app, duplicates) < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "NATS messages not consumed"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let (stored, letters): (i64, i64) = app.with_connection(|conn| {
        (
            access_events::table
                .filter(access_events::event_id.eq("sdk-evt-1"))
                .count()
                .get_result(conn)
                .unwrap(),
            dead_letters::table.count().get_result(conn).unwrap(),
        )
    });
    assert_eq!(
        (stored, letters),
        (1, 0),
        "six copies, one event, no conflict"
    );
    let mut anna = app.signed_in(ANNA);
    let newest = anna.get("/api/v1/me/access-events?limit=1").json();
    assert_eq!(
        newest["items"][0]["reason_text"],
        "Grüße aus dem Kundenservice"
    );

    let stream_name = stream.clone();
    actix_web::rt::System::new().block_on(async move {
        let client = async_nats::connect(NATS_URL).await.unwrap();
        let _ = async_nats::jetstream::new(client)
            .delete_stream(&stream_name)
            .await;
    });
}

fn binary_mode_events_are_checked_like_structured_ones_and_kept_with_their_headers(
    backend: Backend,
) {
    let app = TestApp::spawn(backend);
    let token = token(&app);
    let bearer = format!("Bearer {token}");
    let send = |content_type: &str, body: &[u8], headers: &[(&str, &str)]| {
        let mut all: Vec<(&str, &str)> = vec![("Authorization", &bearer)];
        all.extend_from_slice(headers);
        app.client()
            .post_raw("/api/v1/feed/events", content_type, body, &all)
    };
    let data = access_data().to_string();
    let attributes = |id: Option<&'static str>, time: &'static str| {
        let mut headers = vec![
            ("ce-specversion", "1.0"),
            ("ce-source", SOURCE),
            ("ce-type", "einblick.access.v1"),
            ("ce-time", time),
        ];
        if let Some(id) = id {
            headers.push(("ce-id", id));
        }
        headers
    };

    let good = send(
        "application/json",
        data.as_bytes(),
        &attributes(Some("bin-good"), "2026-11-21T09:30:00Z"),
    );
    assert_eq!(good.status, 200, "{}", good.body);
    assert_eq!(good.json()["accepted"], 1, "{}", good.body);

    for (name, content_type, body, headers, reason) in [
        (
            "no ce-id",
            "application/json",
            data.clone(),
            attributes(None, "2026-11-21T09:30:00Z"),
            "id is required",
        ),
        (
            "a bad ce-time",
            "application/json",
            data.clone(),
            attributes(Some("bin-time"), "yesterday"),
            "time must be an RFC 3339 timestamp",
        ),
        (
            "data that is not JSON",
            "text/plain",
            "customer C-100042 looked at".to_owned(),
            attributes(Some("bin-text"), "2026-11-21T09:30:00Z"),
            "data must be JSON",
        ),
    ] {
        let answer = send(content_type, body.as_bytes(), &headers);
        assert_eq!(answer.status, 200, "{name}: {}", answer.body);
        let report = answer.json();
        assert_eq!(report["rejected"], 1, "{name}: {report}");
        assert!(
            report["rejections"][0]["reason"]
                .as_str()
                .unwrap()
                .contains(reason),
            "{name}: {report}"
        );
    }
    // Each is kept with its headers and its body.
    let letters: Vec<String> = app
        .with_connection(|conn| {
            dead_letters::table
                .order(dead_letters::id)
                .select(dead_letters::raw_base64)
                .load(conn)
        })
        .unwrap();
    assert_eq!(letters.len(), 3);
    let kept: Vec<Value> = letters
        .iter()
        .map(|raw| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(raw)
                .unwrap();
            serde_json::from_slice(&bytes).unwrap()
        })
        .collect();
    assert_eq!(kept[0]["source"], SOURCE);
    assert_eq!(kept[1]["time"], "yesterday");
    assert_eq!(kept[2]["datacontenttype"], "text/plain");
    let body = base64::engine::general_purpose::STANDARD
        .decode(kept[2]["data_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(body, b"customer C-100042 looked at");

    // Neither a CloudEvents content type nor ce-specversion: 415, naming the three modes.
    let refused = send("application/json", data.as_bytes(), &[("ce-id", "x")]);
    assert_eq!(refused.status, 415);
    let message = refused.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    for mode in ["structured mode", "batched mode", "binary mode"] {
        assert!(message.contains(mode), "{message}");
    }
}
