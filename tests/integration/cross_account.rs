//! A customer never sees another customer's events: not through the page, the JSON API or a
//! crafted cursor.

use diesel::prelude::*;
use einblick::db::schema::access_events;
use einblick::domain::{AccessEventId, TimelineCursor};

use crate::both_backends;
use crate::helpers::*;

both_backends!(a_customer_never_sees_another_customers_events);

fn ids_of(app: &TestApp, customer_ref: &str) -> Vec<String> {
    app.with_connection(|conn| {
        access_events::table
            .filter(access_events::customer_ref.eq(customer_ref))
            .select(access_events::id)
            .load::<i64>(conn)
    })
    .unwrap()
    .into_iter()
    .map(|id| id.to_string())
    .collect()
}

fn a_customer_never_sees_another_customers_events(backend: Backend) {
    let app = TestApp::spawn(backend);
    let anna_ids = ids_of(&app, ANNA_REF);
    let mara_ids = ids_of(&app, MARA_REF);
    let mut anna = app.signed_in(ANNA);

    // JSON API, every page.
    let seen: Vec<String> = all_api_items(&mut anna, "")
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen.len(), anna_ids.len());
    assert!(seen.iter().all(|id| anna_ids.contains(id)));

    // Filters that match only Mara's planted events still return none of them to Anna.
    let night = all_api_items(&mut anna, "role=cs_agent_t1&reason=none");
    assert!(night
        .iter()
        .all(|i| anna_ids.contains(&i["id"].as_str().unwrap().to_owned())));

    // A cursor crafted from Mara's newest event positions the page but cannot change whose it is.
    let (newest_time, newest_id) = app
        .with_connection(|conn| {
            access_events::table
                .filter(access_events::customer_ref.eq(MARA_REF))
                .order(access_events::occurred_at.desc())
                .select((access_events::occurred_at, access_events::id))
                .first::<(chrono::NaiveDateTime, i64)>(conn)
        })
        .unwrap();
    let crafted = TimelineCursor {
        occurred_at: newest_time + chrono::Duration::days(1),
        id: AccessEventId(newest_id + 1),
    }
    .encode();
    let page = anna
        .get(&format!(
            "/api/v1/me/access-events?limit=200&cursor={crafted}"
        ))
        .json();
    for item in page["items"].as_array().unwrap() {
        let id = item["id"].as_str().unwrap().to_owned();
        assert!(!mara_ids.contains(&id), "Anna saw Mara's event {id}");
        assert!(anna_ids.contains(&id));
    }

    // The page: every rendered entry is Anna's, across filters and pages.
    for path in [
        "/timeline",
        "/timeline?reason=none",
        &format!("/timeline?cursor={crafted}"),
    ] {
        let html = anna.get(path).body;
        for id in html
            .split("data-entry-id=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
        {
            assert!(
                anna_ids.contains(&id.to_owned()),
                "{path} showed foreign event {id}"
            );
        }
    }

    // And Mara sees her own, not Anna's.
    let mut mara = app.signed_in(MARA);
    let hers = all_api_items(&mut mara, "");
    assert_eq!(hers.len(), mara_ids.len());
    assert!(hers
        .iter()
        .all(|i| !anna_ids.contains(&i["id"].as_str().unwrap().to_owned())));
}
