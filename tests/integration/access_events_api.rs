use chrono::{Duration, Utc};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    the_api_needs_a_session,
    paging_through_the_api_returns_every_entry_once_newest_first,
    small_pages_list_the_same_entries_as_large_ones,
    api_filters_match_the_page_filters,
    invalid_api_parameters_are_rejected_with_a_reason,
    embargoed_events_stay_hidden_until_their_date,
    unknown_codes_are_shown_with_a_generic_label,
);

fn the_api_needs_a_session(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[], false);
    let response = app.client().get("/api/v1/me/access-events");
    assert_eq!(response.status, 401);
    assert_eq!(response.json()["error"]["code"], "not_signed_in");
}

fn paging_through_the_api_returns_every_entry_once_newest_first(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut client = app.signed_in(ANNA);
    let items = all_api_items(&mut client, "");
    assert_eq!(items.len(), 2300, "every seeded access of Anna's");
    let mut ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    let times: Vec<&str> = items
        .iter()
        .map(|i| i["occurred_at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 2300, "no entry twice");
    let first = &items[0];
    for field in ["role", "data_category", "action", "reason"] {
        assert!(first[field]["label"].is_string(), "{field} has a label");
    }
    assert!(first.get("employee_id").is_none());
    let page = client.get("/api/v1/me/access-events?limit=5").json();
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    assert_eq!(page["time_zone"], "Europe/Berlin");
}

/// A page is read in two steps, the recent months first and the older ones when those fall
/// short (`access_event::explained_timeline_page`); pages of 7 entries end at other places than
/// pages of 200, before, inside and across where the first step stops, and must list the same
/// entries.
fn small_pages_list_the_same_entries_as_large_ones(backend: Backend) {
    let app = TestApp::spawn(backend);
    let now = Utc::now().naive_utc();
    for (event, age) in [
        ("recent", Duration::hours(1)),
        ("last-month", Duration::days(35)),
        // Before the first read's start whatever the day of the month (59 to 92 days ago).
        ("older", Duration::days(120)),
    ] {
        insert_event(&app, ANNA_REF, event, "cs_agent_t1", now - age, None);
    }
    let mut client = app.signed_in(ANNA);
    let ids = |items: &[serde_json::Value]| -> Vec<String> {
        items.iter().map(|i| i["id"].to_string()).collect()
    };
    for filters in ["", "reason=none", "role=cs_agent_t1"] {
        let large = all_api_items(&mut client, filters);
        let mut small = Vec::new();
        let mut cursor = String::new();
        while small.len() < 400.min(large.len()) {
            let page = client
                .get(&format!(
                    "/api/v1/me/access-events?limit=7&{filters}&cursor={cursor}"
                ))
                .json();
            small.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = next.to_owned(),
                None => break,
            }
        }
        // A page cut short would end the paging early and still be a prefix.
        assert!(small.len() >= 400.min(large.len()), "{filters}");
        assert_eq!(ids(&small), ids(&large[..small.len()]), "{filters}");
    }
    assert_eq!(
        all_api_items(&mut client, "").len(),
        2303,
        "the seeded 2,300 and 3 more"
    );
    let newest = client.get("/api/v1/me/access-events?limit=1").json();
    assert_eq!(newest["items"][0]["ticket"], "T-recent");
    let tickets: Vec<String> = all_api_items(&mut client, "role=cs_agent_t1")
        .iter()
        .filter_map(|i| i["ticket"].as_str().map(str::to_owned))
        .filter(|t| ["T-recent", "T-last-month", "T-older"].contains(&t.as_str()))
        .collect();
    assert_eq!(tickets, ["T-recent", "T-last-month", "T-older"]);
}

fn api_filters_match_the_page_filters(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut client = app.signed_in(MARA);
    let unexplained = all_api_items(&mut client, "reason=none");
    assert!(unexplained.len() >= 40, "the planted night-time looks");
    assert!(unexplained.iter().all(|i| i["reason"]["code"] == "none"));
    let by_role = all_api_items(&mut client, "role=cs_agent_t1&category=addresses");
    assert!(!by_role.is_empty());
    assert!(by_role
        .iter()
        .all(|i| i["role"]["code"] == "cs_agent_t1" && i["data_category"]["code"] == "addresses"));
    let period = all_api_items(&mut client, "from=2026-03-01&to=2026-03-31");
    assert!(!period.is_empty());
    assert!(period
        .iter()
        .all(|i| i["local_date"].as_str().unwrap().starts_with("2026-03")));
    let english = client
        .get("/api/v1/me/access-events?limit=1&reason=none&lang=en")
        .json();
    assert_eq!(english["items"][0]["reason"]["label"], "No reason given");
}

fn invalid_api_parameters_are_rejected_with_a_reason(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut client = app.signed_in(ANNA);
    for (query, code) in [
        ("from=2026-13-01", "invalid_input"),
        ("from=2026-05-02&to=2026-05-01", "invalid_input"),
        ("limit=0", "invalid_input"),
        ("limit=many", "invalid_input"),
        ("role=%27%20OR%201%3D1", "invalid_input"),
        ("cursor=not-a-cursor", "invalid_cursor"),
    ] {
        let response = client.get(&format!("/api/v1/me/access-events?{query}"));
        assert_eq!(response.status, 400, "{query}");
        assert_eq!(response.json()["error"]["code"], code, "{query}");
        assert!(response.json()["error"]["message"].as_str().unwrap().len() > 10);
    }
}

fn embargoed_events_stay_hidden_until_their_date(backend: Backend) {
    let app = TestApp::spawn(backend);
    let now = Utc::now().naive_utc();
    insert_event(
        &app,
        ANNA_REF,
        "embargoed",
        "legal_counsel",
        now - Duration::hours(1),
        Some(now + Duration::days(30)),
    );
    insert_event(
        &app,
        ANNA_REF,
        "released",
        "legal_counsel",
        now - Duration::hours(2),
        Some(now - Duration::minutes(1)),
    );
    let mut client = app.signed_in(ANNA);
    let newest = client.get("/api/v1/me/access-events?limit=3").json();
    let tickets: Vec<&str> = newest["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["ticket"].as_str())
        .collect();
    assert!(tickets.contains(&"T-released"));
    assert!(!tickets.contains(&"T-embargoed"));
}

fn unknown_codes_are_shown_with_a_generic_label(backend: Backend) {
    let app = TestApp::spawn(backend);
    insert_event(
        &app,
        ANNA_REF,
        "mystery",
        "night_shift_special",
        Utc::now().naive_utc(),
        None,
    );
    let mut client = app.signed_in(ANNA);
    client.accept_language = "en".into();
    let newest = client.get("/api/v1/me/access-events?limit=1").json();
    assert_eq!(newest["items"][0]["role"]["code"], "night_shift_special");
    assert_eq!(
        newest["items"][0]["role"]["label"],
        "Role without description (night_shift_special)"
    );
}
