//! The retention policy (`EINBLICK_RETENTION_MONTHS`, `einblick retention`): events older than
//! it keeps are removed once a checkpoint covers them, except those under an open dispute; the
//! log still holds (audit, customers' proofs and whole-timeline bundles), a proof asked for a
//! removed event says why it is gone, and the feed refuses events it would remove at once.

use chrono::{Datelike, Months, NaiveDate, Utc};
use diesel::prelude::*;
use serde_json::json;

use crate::both_backends;
use crate::disputes::file_dispute;
use crate::feed_http::{send_single, token};
use crate::helpers::*;
use crate::transparency::{einblick, sign_checkpoint, timeline_bundle, verify_timeline};

both_backends!(
    old_months_go_and_the_log_still_holds,
    an_open_dispute_holds_its_events_until_it_is_closed,
    a_customer_whose_whole_timeline_went_starts_a_new_chain,
    the_feed_refuses_what_the_policy_would_remove,
    the_access_report_states_the_policy,
);

const MONTHS: u32 = 12;

/// The first day the policy keeps today.
fn oldest_kept() -> NaiveDate {
    let today = Utc::now().date_naive();
    today.with_day(1).unwrap() - Months::new(MONTHS)
}

/// `einblick retention` with the policy set: what it printed.
fn apply_retention(app: &TestApp) -> String {
    let output = einblick(app)
        .env("EINBLICK_RETENTION_MONTHS", MONTHS.to_string())
        .arg("retention")
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{said}");
    said
}

/// N of "removed N access events" in what `einblick retention` printed.
fn removed_count(said: &str) -> u64 {
    said.split("removed ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{said}"))
}

/// `einblick audit`: (clean, what it printed).
fn audit(app: &TestApp) -> (bool, String) {
    let output = einblick(app).arg("audit").output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

fn occurred_on(item: &serde_json::Value) -> NaiveDate {
    let at = item["occurred_at"].as_str().unwrap();
    chrono::DateTime::parse_from_rfc3339(at)
        .unwrap()
        .date_naive()
}

fn old_months_go_and_the_log_still_holds(backend: Backend) {
    let app = TestApp::spawn(backend);
    let cutoff = oldest_kept();
    let lena_ref = customer_ref_of(&app, LENA);
    let now = Utc::now().naive_utc();
    let months_ago = |months: u32| now - Months::new(months);
    // Lena's accesses reach the log in the order they happened, as a feed sends them; the two
    // oldest are in months of their own.
    app.with_connection(|conn| {
        einblick::db::partition::ensure_months_between(conn, months_ago(30), months_ago(20), now)
    })
    .unwrap();
    for (id, months) in [
        ("lena-30", 30),
        ("lena-20", 20),
        ("lena-14", 14),
        ("lena-6", 6),
        ("lena-0", 0),
    ] {
        insert_event(&app, &lena_ref, id, "cs_agent_t1", months_ago(months), None);
    }
    // Open cases would hold their accesses (the next test is about that).
    close_every_case(&app);
    let mut lena = app.signed_in(LENA);
    let before = all_api_items(&mut lena, "");
    let (old, kept): (Vec<_>, Vec<_>) = before
        .into_iter()
        .partition(|item| occurred_on(item) < cutoff);
    assert_eq!((old.len(), kept.len()), (3, 2));
    let dir = tempfile_dir::TempDir::new(&format!("{}_retention", unique_name()));
    let earlier = timeline_bundle(&mut lena);
    let earlier_path = dir.0.join("earlier.json");
    std::fs::write(&earlier_path, &earlier.bytes).unwrap();
    sign_checkpoint(&app);
    // The judge's count of an employee-hour before the first day kept goes with its accesses.
    let hour_counted = |day: NaiveDate| einblick::db::employee_hour::EmployeeHourRow {
        hour: day.and_hms_opt(9, 0, 0).unwrap(),
        employee_id: "E-9090".into(),
        role_code: "cs_agent_t1".into(),
        customers: 3,
    };
    let (gone, stays) = (
        hour_counted(cutoff - chrono::Duration::days(1)),
        hour_counted(cutoff),
    );
    app.with_connection(|conn| {
        einblick::db::employee_hour::store(conn, &[gone.clone(), stays.clone()])
    })
    .unwrap();

    let said = apply_retention(&app);
    assert!(removed_count(&said) >= 3, "{said}");
    let counted_hours: Vec<chrono::NaiveDateTime> = app
        .with_connection(|conn| {
            use einblick::db::schema::employee_hours;
            employee_hours::table
                .filter(employee_hours::employee_id.eq("E-9090"))
                .select(employee_hours::hour)
                .load(conn)
        })
        .unwrap();
    assert_eq!(counted_hours, vec![stays.hour], "{} went", gone.hour);
    if backend == Backend::Postgres {
        // Months with nothing else go whole; the demo's months keep what stays of theirs.
        for months in [30, 20] {
            let name = format!("access_events_p{}", months_ago(months).format("%Y%m"));
            assert!(said.contains(&name), "{said}");
            assert!(!partition_exists(&app, &name), "{name}");
        }
        let kept_month = format!("access_events_p{}", cutoff.format("%Y%m"));
        assert!(partition_exists(&app, &kept_month), "{kept_month}");
    }

    // The customer's timeline holds what the policy keeps, all of it.
    let after = all_api_items(&mut lena, "");
    let ids = |items: &[serde_json::Value]| -> Vec<String> {
        items
            .iter()
            .map(|item| item["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&after), ids(&kept));

    // A removed entry's proof says why it is gone, in the customer's language; a kept one's
    // still downloads.
    let removed_id = old[0]["id"].as_str().unwrap();
    let gone = lena.get(&format!("/timeline/{removed_id}/proof"));
    assert_eq!(gone.status, 410, "{}", gone.body);
    assert!(gone.body.contains("Speicherfrist"), "{}", gone.body);
    let kept_id = kept[0]["id"].as_str().unwrap();
    assert_eq!(lena.get(&format!("/timeline/{kept_id}/proof")).status, 200);
    let mut ben = app.signed_in(BEN);
    assert_eq!(
        ben.get(&format!("/timeline/{removed_id}/proof")).status,
        410
    );
    assert_eq!(ben.get(&format!("/timeline/{kept_id}/proof")).status, 404);

    // The audit tells the removal from tampering.
    let (clean, said) = audit(&app);
    assert!(clean, "{said}");
    assert!(
        said.contains("events were removed under the retention policy"),
        "{said}"
    );
    assert!(
        said.contains("OK: every logged event is unchanged"),
        "{said}"
    );

    // The customer's whole timeline still verifies: its first entry links back to a removed
    // leaf the log still holds; the earlier download's removed entries are excused.
    let bundle = timeline_bundle(&mut lena);
    assert_eq!(
        bundle.json()["removed_by_retention"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "{}",
        bundle.body
    );
    let (verified, said) = verify_timeline(&app, &dir, "after.json", &bundle.bytes, None);
    assert!(verified, "{said}");
    assert!(
        said.contains("3 earlier entries were removed under the retention policy"),
        "{said}"
    );
    let (verified, said) = verify_timeline(
        &app,
        &dir,
        "after.json",
        &bundle.bytes,
        Some(&earlier_path.display().to_string()),
    );
    assert!(verified, "{said}");
    assert!(said.contains("except 3 of its entries"), "{said}");

    // A second pass finds nothing more to remove.
    let again = apply_retention(&app);
    assert_eq!(removed_count(&again), 0, "{again}");

    // A bundle that hides the first kept entry, or drops the signed pass, no longer checks out.
    let mut hiding = bundle.json();
    hiding["entries"].as_array_mut().unwrap().remove(0);
    let (verified, said) = verify_timeline(
        &app,
        &dir,
        "hiding.json",
        hiding.to_string().as_bytes(),
        None,
    );
    assert!(!verified, "{said}");
    let mut unsigned = bundle.json();
    unsigned.as_object_mut().unwrap().remove("retention_passes");
    let (verified, said) = verify_timeline(
        &app,
        &dir,
        "unsigned.json",
        unsigned.to_string().as_bytes(),
        None,
    );
    assert!(!verified, "{said}");
    assert!(
        said.contains("no pass note signed by the log's key"),
        "{said}"
    );

    // Removing a kept event by hand is still tampering, even recorded as a run of a real pass
    // (its note states its runs) or under a pass of its own (only the log's key signs those).
    sign_checkpoint(&app);
    let victim_leaf = leaf_of(&app, "lena-6");
    crate::transparency::delete_event(&app, "lena-6");
    app.with_connection(|conn| {
        use einblick::db::schema::log_retention_passes::dsl as rp;
        let real: chrono::NaiveDateTime = rp::log_retention_passes
            .select(rp::removed_at)
            .first(conn)?;
        diesel::insert_into(einblick::db::schema::log_removed_leaves::table)
            .values((
                einblick::db::schema::log_removed_leaves::first_leaf.eq(victim_leaf),
                einblick::db::schema::log_removed_leaves::end_leaf.eq(victim_leaf + 1),
                einblick::db::schema::log_removed_leaves::removed_at.eq(real),
            ))
            .execute(conn)
    })
    .unwrap();
    let (clean, said) = audit(&app);
    assert!(!clean, "{said}");
    assert!(
        said.contains("its note is not signed by the log's key or does not state the leaves"),
        "{said}"
    );
    assert!(said.contains("its access event was removed"), "{said}");
}

fn a_customer_whose_whole_timeline_went_starts_a_new_chain(backend: Backend) {
    let app = TestApp::spawn(backend);
    let lena_ref = customer_ref_of(&app, LENA);
    let long_ago = (Utc::now() - Months::new(30)).naive_utc();
    for id in ["gone-1", "gone-2"] {
        insert_event(&app, &lena_ref, id, "cs_agent_t1", long_ago, None);
    }
    close_every_case(&app);
    sign_checkpoint(&app);
    let mut lena = app.signed_in(LENA);
    let dir = tempfile_dir::TempDir::new(&format!("{}_retention", unique_name()));
    let earlier_path = dir.0.join("earlier.json");
    std::fs::write(&earlier_path, timeline_bundle(&mut lena).bytes).unwrap();
    let earlier = earlier_path.display().to_string();

    apply_retention(&app);
    assert!(!event_exists(&app, "gone-1") && !event_exists(&app, "gone-2"));
    // Nothing of hers is left to link to the removed entries: the signed pass alone excuses
    // them against the earlier download.
    let empty = timeline_bundle(&mut lena);
    let (verified, said) = verify_timeline(&app, &dir, "empty.json", &empty.bytes, Some(&earlier));
    assert!(verified, "{said}");
    assert!(said.contains("except 2 of its entries"), "{said}");

    // Her next access starts a chain of its own.
    insert_event(
        &app,
        &lena_ref,
        "fresh",
        "cs_agent_t1",
        Utc::now().naive_utc(),
        None,
    );
    let (entry, previous) = app
        .with_connection(|conn| {
            use einblick::db::schema::access_events::dsl as ae;
            ae::access_events
                .filter(ae::event_id.eq("fresh"))
                .select((ae::customer_entry, ae::customer_previous_leaf))
                .first::<(Option<i64>, Option<i64>)>(conn)
        })
        .unwrap();
    assert_eq!((entry, previous), (Some(1), None));
    sign_checkpoint(&app);
    let (clean, said) = audit(&app);
    assert!(clean, "{said}");
    let restarted = timeline_bundle(&mut lena);
    let (verified, said) = verify_timeline(
        &app,
        &dir,
        "restarted.json",
        &restarted.bytes,
        Some(&earlier),
    );
    assert!(verified, "{said}");
    assert!(said.contains("except 2 of its entries"), "{said}");
}

fn an_open_dispute_holds_its_events_until_it_is_closed(backend: Backend) {
    let app = TestApp::spawn(backend);
    let lena_ref = customer_ref_of(&app, LENA);
    let now = Utc::now().naive_utc();
    for (id, at) in [
        ("lena-a", now - Months::new(30)),
        ("lena-b", now - Months::new(29)),
        ("lena-now", now),
    ] {
        insert_event(&app, &lena_ref, id, "cs_agent_t1", at, None);
    }
    close_every_case(&app);
    let mut lena = app.signed_in(LENA);
    file_dispute(&mut lena, event_id_of(&app, "lena-b"), "Das war ich nicht.");
    sign_checkpoint(&app);

    // The disputed access stays, and with it everything after it in her chain.
    let said = apply_retention(&app);
    assert!(said.contains("still there"), "{said}");
    assert!(!event_exists(&app, "lena-a"));
    assert!(event_exists(&app, "lena-b"));
    let (clean, said) = audit(&app);
    assert!(clean, "{said}");
    let dir = tempfile_dir::TempDir::new(&format!("{}_retention", unique_name()));
    let bundle = timeline_bundle(&mut lena);
    let (verified, said) = verify_timeline(&app, &dir, "held.json", &bundle.bytes, None);
    assert!(verified, "{said}");
    assert!(said.contains("1 earlier entries were removed"), "{said}");

    // Once the case is closed, the access goes too; her next entry links to her newest one.
    close_every_case(&app);
    apply_retention(&app);
    assert!(!event_exists(&app, "lena-b"));
    assert!(event_exists(&app, "lena-now"));
    insert_event(
        &app,
        &lena_ref,
        "lena-after",
        "cs_agent_t1",
        Utc::now().naive_utc(),
        None,
    );
    sign_checkpoint(&app);
    let (clean, said) = audit(&app);
    assert!(clean, "{said}");
    let bundle = timeline_bundle(&mut lena);
    let (verified, said) = verify_timeline(&app, &dir, "closed.json", &bundle.bytes, None);
    assert!(verified, "{said}");
    assert!(said.contains("2 earlier entries were removed"), "{said}");
}

fn the_feed_refuses_what_the_policy_would_remove(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        &[("EINBLICK_RETENTION_MONTHS", &MONTHS.to_string())],
        false,
    );
    let source = "/crm/support-console";
    let token = token(&app, &[source]);
    let event = |id: &str, at: chrono::DateTime<Utc>| {
        json!({
            "specversion": "1.0", "id": id, "source": source, "type": "einblick.access.v1",
            "time": at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "datacontenttype": "application/json",
            "data": {
                "customer_ref": "C-7800001",
                "actor": { "employee_id": "E-7781", "role": "cs_agent_t1" },
                "data_category": "purchase_history", "action": "view",
                "reason": { "code": "customer_request" }
            }
        })
    };
    let too_old = send_single(
        &app,
        &token,
        &event("too-old", Utc::now() - Months::new(40)),
    );
    assert_eq!(too_old["rejected"], 1, "{too_old}");
    let reason = too_old["rejections"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("EINBLICK_RETENTION_MONTHS"), "{reason}");
    let recent = send_single(&app, &token, &event("recent", Utc::now()));
    assert_eq!(recent["accepted"], 1, "{recent}");
}

fn the_access_report_states_the_policy(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        &[("EINBLICK_RETENTION_MONTHS", &MONTHS.to_string())],
        true,
    );
    let mut anna = app.signed_in(ANNA);
    for (lang, said) in [
        (
            "de",
            "für die 12 vollen Monate vor dem laufenden Monat aufbewahrt",
        ),
        ("en", "kept for the 12 full months before the current one"),
    ] {
        let report = anna.get(&format!("/reports/access?lang={lang}&format=json"));
        assert_eq!(report.status, 200, "{}", report.body);
        let kept = report.json()["information"]["retention"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(kept.contains(said), "{kept}");
    }
}

/// Judges every access now and closes every dispute and investigation: an open one holds its
/// accesses (the dispute test opens its own).
fn close_every_case(app: &TestApp) {
    app.with_connection(|conn| {
        einblick::explain::run::settle(conn, Utc::now().naive_utc())
            .map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))?;
        use einblick::db::schema::disputes::dsl as d;
        use einblick::db::schema::investigations::dsl as i;
        diesel::update(d::disputes)
            .set(d::status.eq("withdrawn"))
            .execute(conn)?;
        diesel::update(i::investigations)
            .set(i::status.eq("appropriate"))
            .execute(conn)
    })
    .unwrap();
}

fn partition_exists(app: &TestApp, name: &str) -> bool {
    #[derive(QueryableByName)]
    struct Exists {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        exists: bool,
    }
    app.with_connection(|conn| {
        diesel::sql_query("SELECT to_regclass($1) IS NOT NULL AS exists")
            .bind::<diesel::sql_types::Text, _>(name)
            .get_result::<Exists>(conn)
    })
    .unwrap()
    .exists
}

fn customer_ref_of(app: &TestApp, email: &str) -> String {
    use einblick::db::schema::customers::dsl as c;
    app.with_connection(|conn| {
        c::customers
            .filter(c::email.eq(email))
            .select(c::customer_ref)
            .first(conn)
    })
    .unwrap()
}

fn leaf_of(app: &TestApp, event_id: &str) -> i64 {
    use einblick::db::schema::access_events::dsl as ae;
    app.with_connection(|conn| {
        ae::access_events
            .filter(ae::event_id.eq(event_id))
            .select(ae::leaf_index)
            .first(conn)
    })
    .unwrap()
}

fn event_id_of(app: &TestApp, event_id: &str) -> i64 {
    use einblick::db::schema::access_events::dsl as ae;
    app.with_connection(|conn| {
        ae::access_events
            .filter(ae::event_id.eq(event_id))
            .select(ae::id)
            .first(conn)
    })
    .unwrap()
}

fn event_exists(app: &TestApp, event_id: &str) -> bool {
    use einblick::db::schema::access_events::dsl as ae;
    app.with_connection(|conn| {
        diesel::select(diesel::dsl::exists(
            ae::access_events.filter(ae::event_id.eq(event_id)),
        ))
        .get_result(conn)
    })
    .unwrap()
}
