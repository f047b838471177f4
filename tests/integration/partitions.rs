//! PostgreSQL keeps `access_events` in monthly partitions (`db::partition`): an event lands in
//! its month's partition, or in the default partition until its month gets one; duplicates and
//! conflicts are found across partitions, and a customer's chain runs across them.

use chrono::{Datelike, Months, Utc};
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::feed_http::{send_single, token};
use crate::helpers::*;
use crate::transparency::{assert_audit_finds_the_log_intact, sign_checkpoint};

const SOURCE: &str = "/crm/support-console";
const CUSTOMER: &str = "C-7700001";

fn event(id: &str, time: &str) -> Value {
    json!({
        "specversion": "1.0", "id": id, "source": SOURCE, "type": "einblick.access.v1",
        "time": time, "datacontenttype": "application/json",
        "data": {
            "customer_ref": CUSTOMER,
            "actor": { "employee_id": "E-7781", "role": "cs_agent_t1" },
            "data_category": "purchase_history", "action": "view",
            "reason": { "code": "customer_request", "ticket": format!("T-{id}") }
        }
    })
}

/// The partition that holds the event `event_id`.
fn partition_of(app: &TestApp, event_id: &str) -> String {
    #[derive(QueryableByName)]
    struct Partition {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    app.with_connection(|conn| {
        diesel::sql_query(
            "SELECT tableoid::regclass::TEXT AS name FROM access_events WHERE event_id = $1",
        )
        .bind::<diesel::sql_types::Text, _>(event_id)
        .get_result::<Partition>(conn)
    })
    .unwrap()
    .name
}

fn month_partition(at: chrono::DateTime<Utc>) -> String {
    format!("access_events_p{:04}{:02}", at.year(), at.month())
}

#[test]
fn events_are_stored_in_their_months_partition_and_checked_across_all() {
    let app = TestApp::spawn(Backend::Postgres);
    let token = token(&app, &[SOURCE]);
    let now = Utc::now();
    let last_month = now - Months::new(1);
    let years_ago = now - Months::new(60);
    let times = [
        ("part-now", now),
        ("part-last-month", last_month),
        ("part-years-ago", years_ago),
    ];
    for (id, at) in times {
        let report = send_single(
            &app,
            &token,
            &event(id, &at.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
        );
        assert_eq!(report["accepted"], 1, "{report}");
    }
    let far = send_single(&app, &token, &event("part-far", "2199-01-01T00:00:00Z"));
    assert_eq!(far["accepted"], 1, "{far}");
    assert_eq!(partition_of(&app, "part-now"), month_partition(now));
    assert_eq!(
        partition_of(&app, "part-last-month"),
        month_partition(last_month)
    );
    assert_eq!(partition_of(&app, "part-far"), "access_events_default");

    // The server splits months out of the default partition (it also does when it starts and
    // every hour, which may have happened already): one within ten years gets its own, 2199
    // stays where it is.
    let run = app
        .with_connection(|conn| einblick::db::partition::ensure_months(conn, now.naive_utc()))
        .unwrap();
    assert!(run.failed.is_empty(), "{run:?}");
    assert_eq!(
        partition_of(&app, "part-years-ago"),
        month_partition(years_ago)
    );
    assert_eq!(partition_of(&app, "part-far"), "access_events_default");

    // Found again across partitions: the same event is a duplicate, other content a conflict.
    let old_time = years_ago.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let again = send_single(&app, &token, &event("part-years-ago", &old_time));
    assert_eq!(again["duplicates"], 1, "{again}");
    let moved = send_single(
        &app,
        &token,
        &event("part-years-ago", "2026-01-01T00:00:00Z"),
    );
    assert_eq!(moved["rejected"], 1, "{moved}");
    assert!(moved["rejections"][0]["reason"]
        .as_str()
        .unwrap()
        .starts_with("conflict"));

    // The customer's four entries chain in log order across three partitions and the default
    // one, and the audit recomputes every leaf from the rows where they now are.
    let chain: Vec<(i64, Option<i64>, Option<i64>)> = app
        .with_connection(|conn| {
            use einblick::db::schema::access_events::dsl as ae;
            ae::access_events
                .filter(ae::customer_ref.eq(CUSTOMER))
                .order(ae::leaf_index)
                .select((
                    ae::leaf_index,
                    ae::customer_previous_leaf,
                    ae::customer_entry,
                ))
                .load(conn)
        })
        .unwrap();
    assert_eq!(chain.len(), 4);
    for (n, pair) in chain.windows(2).enumerate() {
        assert_eq!(
            pair[1].1,
            Some(pair[0].0),
            "entry {} links to the one before",
            n + 2
        );
        assert_eq!(pair[1].2, Some(n as i64 + 2));
    }
    sign_checkpoint(&app);
    assert_audit_finds_the_log_intact(&app);
}
