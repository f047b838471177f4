//! The HTTP feed: idempotent, nothing lost, one system cannot forge another's events.

use diesel::prelude::*;
use einblick::db::schema::{access_events, dead_letters};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    a_new_event_is_stored_and_shows_in_the_customers_timeline,
    the_same_event_again_is_a_duplicate_and_other_content_a_conflict,
    one_bad_event_never_fails_its_batch,
    every_malformed_event_is_rejected_with_a_reason_and_kept,
    a_token_cannot_send_another_systems_source,
    ndjson_and_batches_are_accepted,
    requests_without_a_valid_token_or_too_large_are_refused,
    any_order_of_a_batch_with_duplicates_stores_the_same_rows,
    metrics_and_the_openapi_document_are_served,
);

const SOURCE: &str = "/crm/support-console";

/// A fresh database's first batches make PostgreSQL cache a generic plan while access_events
/// looks empty; the duplicate check must still look each key up in the index, not read every
/// stored row for every batch.
#[test]
fn the_duplicate_check_looks_keys_up_in_the_index_whatever_plan_is_cached() {
    use diesel::connection::SimpleConnection;
    let app = TestApp::spawn(Backend::Postgres);
    let plan: Vec<String> = app.with_connection(|conn| {
        #[derive(QueryableByName)]
        struct PlanLine {
            #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
            line: String,
        }
        conn.batch_execute(&format!(
            "SET plan_cache_mode = force_generic_plan; \
             PREPARE existing_hashes(text[], text[]) AS {}",
            einblick::db::access_event::EXISTING_HASHES_POSTGRES
        ))
        .unwrap();
        diesel::sql_query("EXPLAIN EXECUTE existing_hashes('{/a,/b}', '{1,2}')")
            .load::<PlanLine>(conn)
            .unwrap()
            .into_iter()
            .map(|row| row.line)
            .collect()
    });
    let plan = plan.join("\n");
    assert!(
        plan.contains("Index Scan using feed_event_keys_pkey"),
        "{plan}"
    );
    assert!(!plan.contains("Seq Scan on feed_event_keys"), "{plan}");
}

fn event(id: &str) -> Value {
    json!({
        "specversion": "1.0", "id": id, "source": SOURCE, "type": "einblick.access.v1",
        "time": "2026-11-21T09:30:00Z", "datacontenttype": "application/json",
        "data": {
            "customer_ref": ANNA_REF,
            "actor": { "employee_id": "E-7781", "role": "cs_agent_t1", "team": "Support Berlin", "country": "DE" },
            "data_category": "purchase_history", "action": "view",
            "reason": { "code": "customer_request", "text": "Asked about a delayed parcel", "ticket": "T-99001" },
            "system": "support-console"
        }
    })
}

pub(crate) fn token(app: &TestApp, sources: &[&str]) -> String {
    let sources: Vec<String> = sources.iter().map(|s| (*s).to_owned()).collect();
    app.with_connection(|conn| {
        einblick::ingest::token::create(conn, "test", &sources, chrono::Utc::now().naive_utc())
    })
    .unwrap()
    .1
}

fn send(app: &TestApp, token: &str, content_type: &str, body: &[u8]) -> Response {
    app.client().post_raw(
        "/api/v1/feed/events",
        content_type,
        body,
        &[("Authorization", &format!("Bearer {token}"))],
    )
}

pub(crate) fn send_single(app: &TestApp, token: &str, event: &Value) -> Value {
    let response = send(
        app,
        token,
        "application/cloudevents+json",
        event.to_string().as_bytes(),
    );
    assert_eq!(response.status, 200, "{}", response.body);
    response.json()
}

fn dead_letter_count(app: &TestApp) -> i64 {
    app.with_connection(|conn| dead_letters::table.count().get_result(conn))
        .unwrap()
}

fn stored_count(app: &TestApp, event_id: &str) -> i64 {
    app.with_connection(|conn| {
        access_events::table
            .filter(access_events::event_id.eq(event_id))
            .count()
            .get_result(conn)
    })
    .unwrap()
}

fn a_new_event_is_stored_and_shows_in_the_customers_timeline(backend: Backend) {
    let app = TestApp::spawn(backend);
    let token = token(&app, &[SOURCE]);
    let report = send_single(&app, &token, &event("evt-new-1"));
    assert_eq!(report["accepted"], 1);
    let mut anna = app.signed_in(ANNA);
    let newest = anna.get("/api/v1/me/access-events?limit=1").json();
    assert_eq!(newest["items"][0]["ticket"], "T-99001");
    assert_eq!(newest["items"][0]["occurred_at"], "2026-11-21T09:30:00Z");
}

fn the_same_event_again_is_a_duplicate_and_other_content_a_conflict(backend: Backend) {
    let app = TestApp::spawn(backend);
    let token = token(&app, &[SOURCE]);
    send_single(&app, &token, &event("evt-dup"));
    let again = send_single(&app, &token, &event("evt-dup"));
    assert_eq!(
        (again["accepted"].as_u64(), again["duplicates"].as_u64()),
        (Some(0), Some(1))
    );
    let mut changed = event("evt-dup");
    changed["data"]["reason"]["ticket"] = "T-forged".into();
    let conflict = send_single(&app, &token, &changed);
    assert_eq!(conflict["rejected"], 1);
    assert!(conflict["rejections"][0]["reason"]
        .as_str()
        .unwrap()
        .starts_with("conflict"));
    assert_eq!(conflict["rejections"][0]["id"], "evt-dup");
    assert_eq!(stored_count(&app, "evt-dup"), 1);
    let ticket: Option<String> = app
        .with_connection(|conn| {
            access_events::table
                .filter(access_events::event_id.eq("evt-dup"))
                .select(access_events::ticket_ref)
                .first(conn)
        })
        .unwrap();
    assert_eq!(
        ticket.as_deref(),
        Some("T-99001"),
        "a conflict never overwrites"
    );
    assert_eq!(
        dead_letter_count(&app),
        1,
        "the conflicting version is kept"
    );
}

fn one_bad_event_never_fails_its_batch(backend: Backend) {
    let app = TestApp::spawn(backend);
    let token = token(&app, &[SOURCE]);
    let mut bad = event("evt-b2");
    bad["data"]["action"] = "peek".into();
    let batch = json!([event("evt-b1"), bad, event("evt-b3"), event("evt-b1")]);
    let response = send(
        &app,
        &token,
        "application/cloudevents-batch+json",
        batch.to_string().as_bytes(),
    );
    assert_eq!(response.status, 200, "{}", response.body);
    let report = response.json();
    assert_eq!(report["accepted"], 2);
    assert_eq!(report["duplicates"], 1);
    assert_eq!(report["rejected"], 1);
    assert_eq!(report["rejections"][0]["position"], 1);
    assert_eq!(report["rejections"][0]["id"], "evt-b2");
    assert!(report["rejections"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("data.action"));
}

fn every_malformed_event_is_rejected_with_a_reason_and_kept(backend: Backend) {
    let app = TestApp::spawn(backend);
    let token = token(&app, &[SOURCE]);
    let mut corpus: Vec<(String, Vec<u8>)> = Vec::new();
    let mut variant = |label: &str, change: &dyn Fn(&mut Value)| {
        let mut e = event(&format!("evt-bad-{}", corpus.len()));
        change(&mut e);
        corpus.push((label.to_owned(), e.to_string().into_bytes()));
    };
    variant("specversion", &|e| e["specversion"] = "0.3".into());
    variant("type", &|e| e["type"] = "com.example.other".into());
    variant("id missing", &|e| {
        e.as_object_mut().unwrap().remove("id");
    });
    variant("id empty", &|e| e["id"] = "".into());
    variant("source missing", &|e| {
        e.as_object_mut().unwrap().remove("source");
    });
    variant("time", &|e| e["time"] = "yesterday".into());
    variant("time number", &|e| e["time"] = 12.into());
    variant("data missing", &|e| {
        e.as_object_mut().unwrap().remove("data");
    });
    variant("customer missing", &|e| {
        e["data"].as_object_mut().unwrap().remove("customer_ref");
    });
    variant("actor missing", &|e| {
        e["data"].as_object_mut().unwrap().remove("actor");
    });
    variant("employee missing", &|e| {
        e["data"]["actor"]
            .as_object_mut()
            .unwrap()
            .remove("employee_id");
    });
    variant("role missing", &|e| {
        e["data"]["actor"].as_object_mut().unwrap().remove("role");
    });
    variant("role odd", &|e| {
        e["data"]["actor"]["role"] = "rm -rf /".into()
    });
    variant("country", &|e| {
        e["data"]["actor"]["country"] = "Germany".into()
    });
    variant("category missing", &|e| {
        e["data"].as_object_mut().unwrap().remove("data_category");
    });
    variant("action", &|e| e["data"]["action"] = "peek".into());
    variant("reason missing", &|e| {
        e["data"].as_object_mut().unwrap().remove("reason");
    });
    variant("reason code", &|e| {
        e["data"]["reason"]["code"] = "curiosity".into()
    });
    variant("datacontenttype", &|e| {
        e["datacontenttype"] = "text/xml".into()
    });
    corpus.push(("not json".into(), b"{not json".to_vec()));
    corpus.push(("not an object".into(), b"[1,2,3]".to_vec()));
    corpus.push(("binary".into(), vec![0xff, 0xfe, 0x00, 0x01]));

    for (label, body) in &corpus {
        let response = send(&app, &token, "application/cloudevents+json", body);
        assert_eq!(response.status, 200, "{label}: {}", response.body);
        let report = response.json();
        assert_eq!(report["rejected"], 1, "{label}: {report}");
        assert_eq!(report["accepted"], 0, "{label}");
        assert!(
            report["rejections"][0]["reason"].as_str().unwrap().len() > 5,
            "{label}"
        );
    }
    assert_eq!(
        dead_letter_count(&app),
        corpus.len() as i64,
        "every rejected event is kept"
    );
    let kept: Vec<String> = app
        .with_connection(|conn| {
            dead_letters::table
                .order(dead_letters::id)
                .select(dead_letters::raw_base64)
                .load(conn)
        })
        .unwrap();
    use base64::Engine;
    for ((label, body), raw) in corpus.iter().zip(kept) {
        assert_eq!(
            &base64::engine::general_purpose::STANDARD
                .decode(raw)
                .unwrap(),
            body,
            "{label}: raw bytes kept"
        );
    }
}

fn a_token_cannot_send_another_systems_source(backend: Backend) {
    let app = TestApp::spawn(backend);
    let warehouse = token(&app, &["/wms/picking"]);
    let report = send_single(&app, &warehouse, &event("evt-forged"));
    assert_eq!(report["rejected"], 1);
    assert!(report["rejections"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("not allowed"));
    assert_eq!(stored_count(&app, "evt-forged"), 0);
    assert_eq!(dead_letter_count(&app), 1);
}

fn ndjson_and_batches_are_accepted(backend: Backend) {
    let app = TestApp::spawn(backend);
    let token = token(&app, &[SOURCE]);
    let ndjson = format!("{}\n\n{}\n", event("evt-n1"), event("evt-n2"));
    let response = send(&app, &token, "application/x-ndjson", ndjson.as_bytes());
    assert_eq!(response.json()["accepted"], 2, "{}", response.body);
    let response = send(
        &app,
        &token,
        "application/cloudevents-batch+json; charset=utf-8",
        b"[{\"broken\": ",
    );
    assert_eq!(response.status, 400);
    assert_eq!(response.json()["error"]["code"], "bad_batch");
    assert_eq!(
        dead_letter_count(&app),
        1,
        "an unreadable batch is kept whole"
    );
}

fn requests_without_a_valid_token_or_too_large_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend);
    let body = event("evt-x").to_string();
    let none = app.client().post_raw(
        "/api/v1/feed/events",
        "application/cloudevents+json",
        body.as_bytes(),
        &[],
    );
    assert_eq!(none.status, 401);
    assert_eq!(none.header("www-authenticate").as_deref(), Some("Bearer"));
    assert_eq!(
        send(
            &app,
            "ebf_guess",
            "application/cloudevents+json",
            body.as_bytes()
        )
        .status,
        401
    );

    let token = token(&app, &[SOURCE]);
    let id = app.with_connection(einblick::db::feed_token::list).unwrap()[0].id;
    let wrong_type = send(&app, &token, "text/plain", body.as_bytes());
    assert_eq!(wrong_type.status, 415);
    let huge = vec![b' '; einblick::ingest::http::MAX_BODY_BYTES + 1];
    let too_large = send(&app, &token, "application/x-ndjson", &huge);
    assert_eq!(too_large.status, 413);
    assert!(too_large.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("bytes"));

    app.with_connection(|conn| {
        einblick::db::feed_token::revoke(
            conn,
            einblick::domain::FeedTokenId(id),
            chrono::Utc::now().naive_utc(),
        )
    })
    .unwrap();
    assert_eq!(
        send(
            &app,
            &token,
            "application/cloudevents+json",
            body.as_bytes()
        )
        .status,
        401
    );
    assert_eq!(stored_count(&app, "evt-x"), 0);
}

/// Property: replaying any permutation of a batch that contains duplicates stores the same rows.
fn any_order_of_a_batch_with_duplicates_stores_the_same_rows(backend: Backend) {
    let events: Vec<Value> = (0..12)
        .map(|i| event(&format!("evt-perm-{}", i % 8)))
        .collect();
    let stored_rows = |app: &TestApp| -> Vec<(String, String, String)> {
        app.with_connection(|conn| {
            access_events::table
                .filter(access_events::source.eq(SOURCE))
                .order(access_events::event_id)
                .select((
                    access_events::source,
                    access_events::event_id,
                    access_events::content_sha256,
                ))
                .load(conn)
        })
        .unwrap()
    };
    let app = TestApp::spawn_with(backend, &[], false);
    let feed_token = token(&app, &[SOURCE]);
    let mut rng = einblick::seed::demo::DemoRng::new(7);
    let mut expected: Option<Vec<(String, String, String)>> = None;
    for round in 0..6 {
        let mut order: Vec<Value> = events.clone();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let body = Value::Array(order).to_string();
        let report = send(
            &app,
            &feed_token,
            "application/cloudevents-batch+json",
            body.as_bytes(),
        )
        .json();
        let (accepted, duplicates) = (
            report["accepted"].as_u64().unwrap(),
            report["duplicates"].as_u64().unwrap(),
        );
        assert_eq!(accepted + duplicates, 12, "round {round}: {report}");
        assert_eq!(accepted, if round == 0 { 8 } else { 0 }, "round {round}");
        let rows = stored_rows(&app);
        assert_eq!(rows.len(), 8);
        match &expected {
            None => expected = Some(rows),
            Some(first) => assert_eq!(&rows, first, "round {round}"),
        }
    }
    // A fresh database fed a different permutation ends with the same rows.
    let other = TestApp::spawn_with(backend, &[], false);
    let other_token = token(&other, &[SOURCE]);
    let reversed: Vec<Value> = events.into_iter().rev().collect();
    send(
        &other,
        &other_token,
        "application/cloudevents-batch+json",
        Value::Array(reversed).to_string().as_bytes(),
    );
    assert_eq!(Some(stored_rows(&other)), expected);
}

fn metrics_and_the_openapi_document_are_served(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[], false);
    let token = token(&app, &[SOURCE]);
    send_single(&app, &token, &event("evt-m1"));
    send_single(&app, &token, &event("evt-m1"));
    let metrics = app.client().get("/metrics");
    assert_eq!(metrics.status, 200);
    assert!(metrics
        .header("content-type")
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    for line in [
        "einblick_feed_events_total{transport=\"http\",outcome=\"accepted\"} 1",
        "einblick_feed_events_total{transport=\"http\",outcome=\"duplicate\"} 1",
        "einblick_feed_source_events_total{source=\"/crm/support-console\"} 1",
        "einblick_feed_source_last_event_seconds{source=\"/crm/support-console\"} 1795253400",
        "einblick_dead_letters 0",
    ] {
        assert!(
            metrics.body.contains(line),
            "missing {line} in\n{}",
            metrics.body
        );
    }
    let openapi = app.client().get("/api/v1/openapi.json").json();
    assert_eq!(openapi["openapi"], "3.1.0");
    assert!(openapi["paths"]["/api/v1/feed/events"]["post"].is_object());
    let schema = app
        .client()
        .get("/api/v1/schemas/access-event-data.json")
        .json();
    assert_eq!(schema["required"][0], "customer_ref");
}
