//! Aggregate statistics: exact figures for a seeded period (page, JSON, CSV, PDF), charts that
//! need no JavaScript, and who may see them.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use einblick::db::access_event::{self, NewAccessEvent};
use serde_json::Value;

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    the_figures_for_a_period_are_exact_in_every_format,
    only_the_privacy_lead_and_regulators_see_statistics,
    the_hourly_counts_match_the_events_through_redeliveries,
    the_hourly_judgement_counts_match_the_judgements_through_every_change,
);

const JANUARY: &str = "from=2021-01-01&to=2021-01-31";

fn event(id: &str, at: &str, role: &str, reason: &str, ticket: Option<&str>) -> NewAccessEvent {
    let at = NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M:%S").unwrap();
    let mut event = NewAccessEvent {
        source: "/crm/support-console".into(),
        event_id: id.into(),
        occurred_at: at,
        received_at: at,
        customer_ref: if id.ends_with('b') {
            "C-100043"
        } else {
            ANNA_REF
        }
        .into(),
        employee_id: "E-1".into(),
        role_code: role.into(),
        team: None,
        office_country: None,
        data_category: "purchase_history".into(),
        action: "view".into(),
        reason_code: reason.into(),
        reason_text: None,
        ticket_ref: ticket.map(str::to_owned),
        system: None,
        content_sha256: String::new(),
        visible_from: None,
    };
    event.compute_content_hash();
    event
}

/// January 2021: five accesses (one without a reason, two without a ticket, one outside the
/// period) and four disputes (upheld after 10 days, rejected after 20, withdrawn, and one from
/// December rejected late after 50 days).
fn seed(app: &TestApp) {
    let events = vec![
        event(
            "s1",
            "2021-01-04 09:00:00",
            "cs_agent_t1",
            "customer_request",
            Some("T-1"),
        ),
        event(
            "s2",
            "2021-01-05 09:00:00",
            "cs_agent_t1",
            "customer_request",
            Some("T-2"),
        ),
        event(
            "s3b",
            "2021-01-06 09:00:00",
            "cs_agent_t1",
            "customer_request",
            None,
        ),
        event("s4", "2021-01-07 09:00:00", "fraud_analyst", "none", None),
        event(
            "s5",
            "2021-01-08 09:00:00",
            "fraud_analyst",
            "payment_and_fraud",
            Some("F-1"),
        ),
        event(
            "s-out",
            "2021-02-08 09:00:00",
            "fraud_analyst",
            "none",
            None,
        ),
    ];
    let hasher = einblick::transparency::leaf::chain_hasher(&app.keys);
    app.with_connection(|conn| access_event::insert_new(conn, &events, &hasher))
        .expect("insert events");
    app.with_connection(|conn| {
        let anna: i64 = einblick::db::schema::customers::table
            .filter(einblick::db::schema::customers::customer_ref.eq(ANNA_REF))
            .select(einblick::db::schema::customers::id)
            .first(conn)
            .unwrap();
        for (reference, status, received, due, decided, updated) in [
            ("EB-STAT-0001", "upheld", "2021-01-05 10:00:00", "2021-02-05", Some("2021-01-15 10:00:00"), "2021-01-15 10:00:00"),
            ("EB-STAT-0002", "rejected", "2021-01-06 10:00:00", "2021-02-06", Some("2021-01-26 10:00:00"), "2021-01-26 10:00:00"),
            ("EB-STAT-0003", "withdrawn", "2021-01-07 10:00:00", "2021-02-07", None, "2021-01-10 10:00:00"),
            ("EB-STAT-0004", "rejected", "2020-12-01 10:00:00", "2021-01-01", Some("2021-01-20 10:00:00"), "2021-01-20 10:00:00"),
        ] {
            let decided = decided.map(|d| format!("'{d}'")).unwrap_or_else(|| "NULL".into());
            diesel::sql_query(format!(
                "INSERT INTO disputes (reference, customer_id, ground, statement, status, \
                 received_at, due_on, decided_at, updated_at) VALUES ('{reference}', {anna}, \
                 'other', 'statistics test', '{status}', '{received}', '{due}', {decided}, '{updated}')"
            ))
            .execute(conn)
            .unwrap();
        }
    });
}

fn the_figures_for_a_period_are_exact_in_every_format(backend: Backend) {
    let app = TestApp::spawn(backend);
    seed(&app);
    // Every access judged, so the figures by explanation stay put between the formats.
    app.with_connection(|conn| {
        einblick::explain::run::settle(conn, chrono::Utc::now().naive_utc())
    })
    .unwrap();
    let mut lead = app.staff_signed_in(LEAD);

    let json = lead.get(&format!(
        "/staff/statistics/export?{JANUARY}&format=json&lang=en"
    ));
    assert_eq!(json.status, 200, "{}", json.body);
    let figures: Value = json.json();
    let a = &figures["accesses"];
    assert_eq!(a["total"], 5);
    assert_eq!(a["without_reason"], 1);
    assert_eq!(a["without_reason_permille"], 200);
    assert_eq!(a["without_ticket"], 2);
    assert_eq!(a["by_role"][0]["code"], "cs_agent_t1");
    assert_eq!(a["by_role"][0]["count"], 3);
    assert_eq!(a["by_role"][1]["count"], 2);
    let combination = a["combinations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["role"]["code"] == "cs_agent_t1")
        .unwrap();
    assert_eq!(
        (
            combination["count"].as_u64(),
            combination["without_ticket"].as_u64()
        ),
        (Some(3), Some(1))
    );
    let d = &figures["disputes"];
    assert_eq!(d["opened"], 3);
    assert_eq!(d["upheld"], 1);
    assert_eq!(d["rejected"], 2);
    assert_eq!(d["withdrawn"], 1);
    assert_eq!(d["median_tenths_of_days_to_answer"], 200);
    assert_eq!(d["p90_tenths_of_days_to_answer"], 500);
    assert_eq!(d["answered_late"], 1);
    assert_eq!(d["overdue_open"], 0);

    // The page: the same figures, charts as inline SVG.
    let page = lead.get(&format!("/staff/statistics?{JANUARY}"));
    assert_eq!(page.status, 200);
    let body = page.body.replace("<!>", "");
    assert!(
        body.contains("id=\"total-accesses\">5<"),
        "total on the page"
    );
    for chart in [
        "chart-role",
        "chart-category",
        "chart-reason",
        "chart-disputes",
    ] {
        assert!(body.contains(&format!("id=\"{chart}\"")), "{chart}");
    }
    assert!(body.contains("<svg") && body.contains("role=\"img\""));
    assert!(
        body.contains("20.0") && body.contains("50.0"),
        "median and 90th percentile"
    );

    // CSV through Python's csv module.
    let csv = lead.get(&format!("/staff/statistics/export?{JANUARY}&format=csv"));
    assert_eq!(csv.status, 200);
    let work = tempfile_dir::TempDir::new(&format!("{}_stats", unique_name()));
    let csv_path = work.0.join("stats.csv");
    std::fs::write(&csv_path, &csv.bytes).unwrap();
    let rows: Value = serde_json::from_str(&run(
        "python3",
        &[
            "-c",
            &format!(
                "import csv, json; print(json.dumps(list(csv.reader(open({:?}, newline='', encoding='utf-8-sig')))))",
                csv_path.display().to_string()
            ),
        ],
    ))
    .unwrap();
    let rows = rows.as_array().unwrap();
    let figure = |name: &str| {
        rows.iter()
            .find(|r| r[0] == name)
            .map(|r| r[1].clone())
            .unwrap()
    };
    assert_eq!(figure("accesses_total"), "5");
    assert_eq!(figure("days_to_answer_median"), "20.0");
    assert!(rows
        .iter()
        .any(|r| r.as_array().unwrap().len() == 7 && r[2] == "cs_agent_t1" && r[5] == "3"));
    // Explanations by role: the same figures as the JSON, one row per role.
    let by_role = a["explanation_by_role"].as_array().unwrap();
    assert!(by_role
        .iter()
        .any(|r| r["role"]["code"] == "cs_agent_t1" && r["accesses"] == 3));
    for role in by_role {
        let explained = role["explained_permille"].as_u64().unwrap();
        let expected = [
            role["role"]["code"].as_str().unwrap().to_owned(),
            role["accesses"].to_string(),
            format!("{}.{}", explained / 10, explained % 10),
            role["flags_per_thousand"].to_string(),
        ];
        assert!(
            rows.iter().any(|r| {
                let r = r.as_array().unwrap();
                r.len() == 6 && r[2..].iter().zip(&expected).all(|(got, want)| got == want)
            }),
            "no CSV row {expected:?} in {rows:?}"
        );
    }
    assert!(figure("accesses_explained_percent").as_str().is_some());

    // PDF: poppler reads the title and the period.
    let pdf = lead.get(&format!(
        "/staff/statistics/export?{JANUARY}&format=pdf&lang=de"
    ));
    assert_eq!(
        pdf.header("content-type").as_deref(),
        Some("application/pdf")
    );
    let pdf_path = work.0.join("stats.pdf");
    std::fs::write(&pdf_path, &pdf.bytes).unwrap();
    let text = run(
        "pdftotext",
        &["-enc", "UTF-8", pdf_path.to_str().unwrap(), "-"],
    );
    assert!(text.contains("Transparenzstatistik"), "{text}");
    assert!(text.contains("2021-01-01 – 2021-01-31"), "{text}");
    assert!(
        text.contains("Erklärungen und Auffälligkeiten je Rolle"),
        "{text}"
    );

    let bad = lead.get("/staff/statistics/export?from=2021-02-01&to=2021-01-01&format=json");
    assert_eq!(bad.status, 400);
    let bad_format = lead.get(&format!("/staff/statistics/export?{JANUARY}&format=xlsx"));
    assert_eq!(bad_format.status, 400);
}

fn only_the_privacy_lead_and_regulators_see_statistics(backend: Backend) {
    let app = TestApp::spawn(backend);
    for email in [LEAD, REGULATOR] {
        let mut staff = app.staff_signed_in(email);
        assert_eq!(staff.get("/staff/statistics").status, 200, "{email}");
        assert_eq!(
            staff.get("/staff/statistics/export?format=json").status,
            200,
            "{email}"
        );
    }
    for email in [ANALYST, ADMIN] {
        let mut staff = app.staff_signed_in(email);
        assert_eq!(staff.get("/staff/statistics").status, 403, "{email}");
        assert_eq!(
            staff.get("/staff/statistics/export?format=json").status,
            403,
            "{email}"
        );
    }
    let mut anna = app.signed_in(ANNA);
    let answer = anna.get("/staff/statistics/export?format=json");
    assert_eq!(answer.status, 303);
    assert!(answer
        .header("location")
        .unwrap()
        .starts_with("/staff/login"));
}

/// The statistics read hourly counts kept on insert: they must equal counting the events, also
/// when a batch is delivered again whole or in part (duplicates are not stored, so not counted),
/// and for events at any minute of an hour.
fn the_hourly_counts_match_the_events_through_redeliveries(backend: Backend) {
    use einblick::db::access_counts;
    let app = TestApp::spawn_with(backend, &[], false);
    let hasher = einblick::transparency::leaf::chain_hasher(&app.keys);
    let batch = |ids: std::ops::Range<usize>| -> Vec<NewAccessEvent> {
        ids.map(|i| {
            let at = format!(
                "2021-03-0{} {:02}:{:02}:{:02}",
                1 + i % 3,
                i % 24,
                i % 60,
                i % 7
            );
            let role = ["cs_agent_t1", "fraud_analyst"][i % 2];
            let reason = ["customer_request", "none", "payment_and_fraud"][i % 3];
            let ticket = (i % 4 == 0).then(|| format!("T-{i}"));
            event(&format!("h{i}"), &at, role, reason, ticket.as_deref())
        })
        .collect()
    };
    let store = |events: Vec<NewAccessEvent>| {
        app.with_connection(|conn| access_event::insert_new(conn, &events, &hasher))
            .expect("insert events")
    };
    assert_eq!(store(batch(0..120)), 120);
    assert_eq!(
        store(batch(0..120)),
        0,
        "a whole batch again stores nothing"
    );
    assert_eq!(
        store(batch(60..200)),
        80,
        "a batch half seen stores its new half"
    );

    for ((start, end), events) in [
        (WHOLE_DAYS, 134), // the 200 events but the 66 on March 3rd
        (DAYS_AND_HOURS, 134),
        (HOURS_ONLY, 18),
    ] {
        let (start, end) = (at(start), at(end));
        let (mut summed, mut counted) = app.with_connection(|conn| {
            (
                access_counts::counts_between(conn, start, end).unwrap(),
                access_event::counts_for_statistics(conn, start, end).unwrap(),
            )
        });
        summed.sort();
        counted.sort();
        assert_eq!(summed, counted, "{start} to {end}");
        let total: i64 = summed.iter().map(|group| group.3).sum();
        assert_eq!(total, events, "{start} to {end}");
    }
}

/// Periods the counts are summed over: whole UTC days (daily counts only), days with hours at
/// both ends (daily and hourly counts), and hours within two days (hourly counts only).
const WHOLE_DAYS: (&str, &str) = ("2021-03-01 00:00:00", "2021-03-03 00:00:00");
const DAYS_AND_HOURS: (&str, &str) = ("2021-03-01 05:00:00", "2021-03-03 07:00:00");
const HOURS_ONLY: (&str, &str) = ("2021-03-01 22:00:00", "2021-03-02 07:00:00");

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
}

/// The explained share and flags per role read hourly counts that triggers keep on the
/// judgements: they must equal joining the period's accesses to their judgements after every
/// kind of write: the judge's first judgements, a rule change marking them for judging again,
/// judging them again, a decision (and an update that leaves the state as it was), removal.
fn the_hourly_judgement_counts_match_the_judgements_through_every_change(backend: Backend) {
    use einblick::db::{explanation, explanation_counts, schema::access_explanations as ax};
    use einblick::explain::run;
    let app = TestApp::spawn_with(backend, &[], false);
    let hasher = einblick::transparency::leaf::chain_hasher(&app.keys);
    let events: Vec<NewAccessEvent> = (0..150)
        .map(|i| {
            let at = format!("2021-03-0{} {:02}:{:02}:00", 1 + i % 3, i % 24, i % 60);
            let role = ["cs_agent_t1", "fraud_analyst", "sre_oncall"][i % 3];
            let reason = ["customer_request", "none"][i % 2];
            event(&format!("j{i}"), &at, role, reason, None)
        })
        .collect();
    app.with_connection(|conn| access_event::insert_new(conn, &events, &hasher))
        .expect("insert events");
    let now = chrono::Utc::now().naive_utc();
    // Every period's sums equal the join; the whole days' total is returned. Read under the
    // judge's lock, so the server's own judge cannot write between the two.
    let judged = |when: &str| -> i64 {
        let mut whole_days = 0;
        for (start, end) in [WHOLE_DAYS, DAYS_AND_HOURS, HOURS_ONLY] {
            let (start, end) = (at(start), at(end));
            let (mut summed, mut joined) = app.with_connection(|conn| {
                einblick::db::write_transaction(conn, |conn| {
                    explanation::lock_progress(conn)?;
                    Ok((
                        explanation_counts::counts_between(conn, start, end)?,
                        explanation::counts_by_role(conn, start, end)?,
                    ))
                })
                .expect("counts")
            });
            summed.sort();
            joined.sort();
            assert_eq!(summed, joined, "{when}, {start} to {end}");
            if (start, end) == (at(WHOLE_DAYS.0), at(WHOLE_DAYS.1)) {
                whole_days = summed.iter().map(|(_, _, n)| n).sum();
            }
        }
        whole_days
    };
    app.with_connection(|conn| run::catch_up(conn, 1000, now))
        .expect("judge");
    assert_eq!(judged("judged"), 100, "the 150 but the 50 on March 3rd");

    app.with_connection(explanation::mark_all_undecided)
        .expect("a rule changed");
    judged("marked for judging again");
    app.with_connection(|conn| run::reevaluate_pending(conn, 1000, now))
        .expect("judged again");
    judged("judged again");

    let decided = app
        .with_connection(|conn| {
            diesel::update(ax::table.filter(ax::access_event_id.le(40)))
                .set(ax::state.eq("violation"))
                .execute(conn)
        })
        .expect("decided");
    assert!(decided > 0);
    judged("decided");
    app.with_connection(|conn| {
        diesel::update(ax::table.filter(ax::access_event_id.le(60)))
            .set(ax::evaluated_at.eq(now))
            .execute(conn)
    })
    .expect("touched");
    judged("updated without a change of state");

    let removed = app
        .with_connection(|conn| {
            diesel::delete(ax::table.filter(ax::access_event_id.gt(100))).execute(conn)
        })
        .expect("removed");
    assert!(removed > 0);
    assert!(judged("removed") < 100);
}
