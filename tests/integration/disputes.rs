//! Disputes and the back office, end to end over HTTP: a customer disputes, an analyst
//! reviews, the lead decides, the customer reads the answer; and every forbidden pair is refused.

use diesel::prelude::*;
use einblick::db::schema::{access_events, dispute_history, disputes};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    the_full_dispute_journey,
    every_forbidden_pair_is_refused,
    a_refused_statement_comes_back_with_everything_typed,
    an_older_demo_database_gets_the_demo_staff_and_cases,
    two_decisions_at_once_take_turns
);

/// The newest event of a customer and the employee behind it.
fn newest_event(app: &TestApp, customer_ref: &str) -> (i64, String) {
    app.with_connection(|conn| {
        access_events::table
            .filter(access_events::customer_ref.eq(customer_ref))
            .filter(access_events::source.ne("/einblick/back-office"))
            .order((access_events::occurred_at.desc(), access_events::id.desc()))
            .select((access_events::id, access_events::employee_id))
            .first::<(i64, String)>(conn)
    })
    .unwrap()
}

fn status_of(app: &TestApp, reference: &str) -> String {
    app.with_connection(|conn| {
        disputes::table
            .filter(disputes::reference.eq(reference))
            .select(disputes::status)
            .first::<String>(conn)
    })
    .unwrap()
}

fn staff_looks(app: &TestApp, customer_ref: &str) -> Vec<(String, Option<String>)> {
    app.with_connection(|conn| {
        access_events::table
            .filter(access_events::customer_ref.eq(customer_ref))
            .filter(access_events::source.eq("/einblick/back-office"))
            .select((access_events::role_code, access_events::ticket_ref))
            .load::<(String, Option<String>)>(conn)
    })
    .unwrap()
}

/// Files a dispute as `client` and returns its reference.
pub(crate) fn file_dispute(client: &mut Client, event_id: i64, statement: &str) -> String {
    let event = event_id.to_string();
    let response = client.post_form(
        "/disputes",
        &[
            ("event", &event),
            ("ground", "not_recognised"),
            ("statement", statement),
        ],
    );
    assert_eq!(response.status, 303, "{}", response.body);
    let location = response.header("location").unwrap();
    let reference = location
        .strip_prefix("/disputes/")
        .and_then(|rest| rest.strip_suffix("?notice=filed"))
        .unwrap_or_else(|| panic!("unexpected redirect {location}"));
    reference.to_owned()
}

fn the_full_dispute_journey(backend: Backend) {
    let app = TestApp::spawn(backend);
    let (event_id, employee_id) = newest_event(&app, ANNA_REF);

    // The customer opens the form from her timeline and disputes the entry.
    let mut anna = app.signed_in(ANNA);
    let timeline = anna.get("/timeline");
    assert!(timeline
        .body
        .contains(&format!("/disputes/new?event={event_id}")));
    let form = anna.get(&format!("/disputes/new?event={event_id}"));
    assert_eq!(form.status, 200);
    assert!(form
        .body
        .contains("<form method=\"post\" action=\"/disputes\""));
    let reference = file_dispute(
        &mut anna,
        event_id,
        "Ich war das nicht. <b>Bitte prüfen</b>",
    );
    let confirmation = anna.get(&format!("/disputes/{reference}?notice=filed"));
    assert_eq!(confirmation.status, 200);
    assert!(confirmation.body.contains(&reference));
    assert!(confirmation
        .body
        .contains("&lt;b&gt;Bitte prüfen&lt;/b&gt;"));
    assert!(
        !confirmation.body.contains(&employee_id),
        "the customer never sees who"
    );
    let list = anna.get("/disputes");
    assert!(list.body.contains(&reference));
    assert_eq!(status_of(&app, &reference), "open");

    // The analyst finds it in the queue and opens the case: the real employee is visible,
    // and the look lands in Anna's own timeline.
    let mut analyst = app.staff_signed_in(ANALYST);
    let queue = analyst.get("/staff");
    assert_eq!(queue.status, 200);
    assert!(queue.body.contains(&reference));
    let case = analyst.get(&format!("/staff/disputes/{reference}"));
    assert_eq!(case.status, 200);
    assert!(case.body.contains(&employee_id));
    assert_eq!(
        staff_looks(&app, ANNA_REF),
        vec![("privacy_analyst".to_owned(), Some(reference.clone()))]
    );
    let anna_api = anna.get("/api/v1/me/access-events?limit=1");
    assert_eq!(anna_api.json()["items"][0]["ticket"], reference.as_str());

    let case_url = format!("/staff/disputes/{reference}");
    let saved = format!("{case_url}?notice=saved");
    let post = |client: &mut Client, action: &str, fields: &[(&str, &str)]| {
        let response = client.post_form(&format!("{case_url}/{action}"), fields);
        (
            response.status,
            response.header("location").unwrap_or_default(),
        )
    };
    assert_eq!(post(&mut analyst, "review", &[]), (303, saved.clone()));
    assert_eq!(status_of(&app, &reference), "in_review");
    assert_eq!(
        post(
            &mut analyst,
            "note",
            &[("note", "Ticket system checked; no contact.")]
        ),
        (303, saved.clone())
    );
    assert_eq!(
        post(
            &mut analyst,
            "request-info",
            &[("message", "Did you call us on that day?")]
        ),
        (303, saved.clone())
    );
    assert_eq!(status_of(&app, &reference), "waiting_for_customer");
    // Deciding is for the lead.
    let refused = analyst.post_form(
        &format!("{case_url}/decide"),
        &[("outcome", "upheld"), ("explanation", "x")],
    );
    assert_eq!(refused.status, 403);
    assert_eq!(status_of(&app, &reference), "waiting_for_customer");

    // The customer answers; the case goes back into review.
    let detail = anna.get(&format!("/disputes/{reference}"));
    assert!(detail.body.contains("Did you call us on that day?"));
    assert!(
        !detail.body.contains("Ticket system checked"),
        "internal notes stay inside"
    );
    let reply = anna.post_form(
        &format!("/disputes/{reference}/messages"),
        &[("message", "No, I did not.")],
    );
    assert_eq!(reply.status, 303);
    assert_eq!(status_of(&app, &reference), "in_review");

    // The lead extends once and decides.
    let mut lead = app.staff_signed_in(LEAD);
    assert_eq!(
        post(
            &mut lead,
            "extend",
            &[
                ("months", "2"),
                ("reason", "We are waiting for the system logs.")
            ]
        ),
        (303, saved.clone())
    );
    assert_eq!(
        post(&mut lead, "extend", &[("months", "1"), ("reason", "again")]).1,
        format!("{case_url}?error=already_extended")
    );
    assert_eq!(
        post(
            &mut lead,
            "decide",
            &[
                ("outcome", "upheld"),
                (
                    "explanation",
                    "The access was not justified. We have taken action."
                ),
                ("internal_note", "Employee warned."),
            ],
        ),
        (303, saved.clone())
    );
    assert_eq!(status_of(&app, &reference), "upheld");
    assert_eq!(
        post(&mut lead, "message", &[("message", "late")]).1,
        format!("{case_url}?error=closed")
    );

    // The customer reads the answer; the internal note never reaches her.
    let answered = anna.get(&format!("/disputes/{reference}"));
    assert!(answered
        .body
        .contains("The access was not justified. We have taken action."));
    assert!(answered
        .body
        .contains("We are waiting for the system logs."));
    assert!(!answered.body.contains("Employee warned."));
    assert!(
        !answered.body.contains("Paula Brandt"),
        "staff names stay inside"
    );
    let withdraw = anna.post_form(&format!("/disputes/{reference}/withdraw"), &[]);
    assert_eq!(
        withdraw.header("location").as_deref(),
        Some(format!("/disputes/{reference}?error=closed").as_str())
    );

    // Every staff action is in the history with who did it.
    let history: Vec<(String, Option<i64>)> = app
        .with_connection(|conn| {
            dispute_history::table
                .inner_join(disputes::table)
                .filter(disputes::reference.eq(&reference))
                .order(dispute_history::id.asc())
                .select((dispute_history::kind, dispute_history::staff_user_id))
                .load(conn)
        })
        .unwrap();
    let kinds: Vec<&str> = history.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "received",
            "review_started",
            "internal_note",
            "info_requested",
            "message_from_customer",
            "extended",
            "upheld",
            "internal_note"
        ]
    );
    for (kind, staff) in &history {
        let by_customer = matches!(kind.as_str(), "received" | "message_from_customer");
        assert_eq!(staff.is_none(), by_customer, "{kind}");
    }

    // Emails: receipt, each status change and the answer, in German (her browser language).
    let emails = app.outbox_emails();
    let notices: Vec<&str> = emails.iter().map(|e| e.notice.as_str()).collect();
    assert_eq!(
        notices,
        [
            "received",
            "review_started",
            "info_requested",
            "extended",
            "upheld"
        ]
    );
    assert!(emails
        .iter()
        .all(|e| e.to == ANNA && e.reference == reference));
    assert!(emails[0].text.contains("Ihre Beschwerde"));
    assert!(emails[4].text.contains("The access was not justified."));
    assert!(emails[0]
        .html
        .contains("&#60;b&#62;Bitte prüfen&#60;/b&#62;"));
}

fn every_forbidden_pair_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend);
    let (anna_event, _) = newest_event(&app, ANNA_REF);
    let mut anna = app.signed_in(ANNA);
    let reference = file_dispute(&mut anna, anna_event, "Not me.");
    let case_url = format!("/staff/disputes/{reference}");

    // Another customer: not found, whatever the route.
    let mut ben = app.signed_in(BEN);
    assert_eq!(ben.get(&format!("/disputes/{reference}")).status, 404);
    assert_eq!(
        ben.post_form(
            &format!("/disputes/{reference}/messages"),
            &[("message", "hi")]
        )
        .status,
        404
    );
    assert_eq!(
        ben.post_form(&format!("/disputes/{reference}/withdraw"), &[])
            .status,
        404
    );
    let event = anna_event.to_string();
    let forged = ben.post_form(
        "/disputes",
        &[
            ("event", &event),
            ("ground", "other"),
            ("statement", "mine now"),
        ],
    );
    assert_eq!(forged.status, 404);
    let draft = ben.get(&format!("/disputes/new?event={anna_event}"));
    assert!(!draft.body.contains(&format!("value=\"{anna_event}\"")));
    assert_eq!(status_of(&app, &reference), "open");

    // A customer session is no staff session.
    let to_staff_login = anna.get("/staff");
    assert_eq!(to_staff_login.status, 302);
    assert!(to_staff_login
        .header("location")
        .unwrap()
        .starts_with("/staff/login"));
    let posted = anna.post_form(&format!("{case_url}/review"), &[]);
    assert_eq!(
        posted.header("location").as_deref(),
        Some("/staff/login?notice=session")
    );
    // And without any session nothing happens either.
    assert_eq!(app.client().get(&case_url).status, 302);

    // Regulators and admins never see disputes.
    for email in [REGULATOR, ADMIN] {
        let mut staff = app.staff_signed_in(email);
        assert_eq!(staff.get("/staff").status, 403, "{email}");
        assert_eq!(staff.get(&case_url).status, 403, "{email}");
        for action in [
            "review",
            "note",
            "message",
            "request-info",
            "assign",
            "extend",
            "decide",
        ] {
            let response = staff.post_form(
                &format!("{case_url}/{action}"),
                &[
                    ("note", "x"),
                    ("message", "x"),
                    ("months", "1"),
                    ("reason", "x"),
                ],
            );
            assert_eq!(response.status, 403, "{email} {action}");
        }
    }

    // Analysts work on cases but do not assign, extend or decide.
    let mut analyst = app.staff_signed_in(ANALYST);
    let lead_id: i64 = app
        .with_connection(|conn| {
            einblick::db::schema::staff_users::table
                .filter(einblick::db::schema::staff_users::email.eq(LEAD))
                .select(einblick::db::schema::staff_users::id)
                .first(conn)
        })
        .unwrap();
    let lead_id = lead_id.to_string();
    for (action, fields) in [
        ("assign", vec![("assignee", lead_id.as_str())]),
        ("extend", vec![("months", "1"), ("reason", "x")]),
        (
            "decide",
            vec![("outcome", "rejected"), ("explanation", "x")],
        ),
    ] {
        let response = analyst.post_form(&format!("{case_url}/{action}"), &fields);
        assert_eq!(response.status, 403, "analyst {action}");
    }
    let unchanged: (String, Option<i64>, Option<chrono::NaiveDate>) = app
        .with_connection(|conn| {
            disputes::table
                .filter(disputes::reference.eq(&reference))
                .select((
                    disputes::status,
                    disputes::assignee_id,
                    disputes::extended_due_on,
                ))
                .first(conn)
        })
        .unwrap();
    assert_eq!(unchanged, ("open".to_owned(), None, None));
    // Refused staff never looked at the customer's data: only the analyst's one look is logged.
    assert_eq!(analyst.get(&case_url).status, 200);
    assert_eq!(staff_looks(&app, ANNA_REF).len(), 1);

    // The lead may assign.
    let mut lead = app.staff_signed_in(LEAD);
    let assigned = lead.post_form(&format!("{case_url}/assign"), &[("assignee", &lead_id)]);
    assert_eq!(
        assigned.header("location"),
        Some(format!("{case_url}?notice=saved"))
    );

    // A state change from another site is refused before it reaches any handler.
    let cross_site = lead.post_form_with(
        &format!("{case_url}/decide"),
        &[("outcome", "upheld"), ("explanation", "x")],
        &[
            ("Origin", "https://evil.example"),
            ("Sec-Fetch-Site", "cross-site"),
        ],
    );
    assert_eq!(cross_site.status, 403);
    assert_eq!(status_of(&app, &reference), "open");
}

fn a_refused_statement_comes_back_with_everything_typed(backend: Backend) {
    let app = TestApp::spawn(backend);
    let (event_id, _) = newest_event(&app, ANNA_REF);
    let mut anna = app.signed_in(ANNA);
    let event = event_id.to_string();
    let long = format!("Zu lang: {}", "ä".repeat(2000));
    let response = anna.post_form(
        "/disputes",
        &[
            ("event", &event),
            ("ground", "wrong_reason"),
            ("statement", &long),
        ],
    );
    assert_eq!(response.status, 303);
    let location = response.header("location").unwrap();
    assert!(location.starts_with(&format!("/disputes/new?event={event_id}&")));
    assert!(location.contains("error=statement_too_long"));
    let form = anna.get(&location);
    assert_eq!(form.status, 200);
    assert!(form.body.contains("Zu lang: ää"), "the statement is kept");
    assert!(form.body.contains("länger als 2000 Zeichen"));
    let checked = form.body.contains("value=\"wrong_reason\" checked")
        || form.body.contains("checked value=\"wrong_reason\"")
        || form
            .body
            .contains("id=\"ground-wrong_reason\" name=\"ground\" value=\"wrong_reason\" checked");
    assert!(checked, "the chosen ground is kept");
    let filed: i64 = app
        .with_connection(|conn| disputes::table.count().get_result(conn))
        .unwrap();
    assert_eq!(filed, 3, "only the three demo disputes exist");
}

fn an_older_demo_database_gets_the_demo_staff_and_cases(backend: Backend) {
    use einblick::db::schema::{dispute_events, staff_users};
    let app = TestApp::spawn(backend);
    // As a demo database looked before the back office existed.
    app.with_connection(|conn| {
        diesel::delete(dispute_history::table).execute(conn)?;
        diesel::delete(dispute_events::table).execute(conn)?;
        diesel::delete(disputes::table).execute(conn)?;
        diesel::delete(staff_users::table).execute(conn)
    })
    .unwrap();
    assert_eq!(
        einblick::seed::demo::seed(&app.db, &app.keys).unwrap(),
        einblick::seed::demo::SeedOutcome::AlreadyPresent
    );
    let counts: (i64, i64) = app.with_connection(|conn| {
        (
            staff_users::table.count().get_result(conn).unwrap(),
            disputes::table.count().get_result(conn).unwrap(),
        )
    });
    assert_eq!(counts, (4, 3));
    app.staff_signed_in(LEAD);
}

fn two_decisions_at_once_take_turns(backend: Backend) {
    let app = TestApp::spawn(backend);
    let (event_id, _) = newest_event(&app, ANNA_REF);
    let mut anna = app.signed_in(ANNA);
    let reference = file_dispute(&mut anna, event_id, "Twice?");
    let decide_url = format!("/staff/disputes/{reference}/decide");
    let outcomes: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = ["upheld", "rejected"]
            .into_iter()
            .map(|outcome| {
                let mut lead = app.staff_signed_in(LEAD);
                let url = decide_url.clone();
                scope.spawn(move || {
                    lead.post_form(&url, &[("outcome", outcome), ("explanation", "Decided.")])
                        .header("location")
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let saved = outcomes
        .iter()
        .filter(|l| l.ends_with("notice=saved"))
        .count();
    let closed = outcomes
        .iter()
        .filter(|l| l.ends_with("error=closed"))
        .count();
    assert_eq!((saved, closed), (1, 1), "{outcomes:?}");
    let decisions: i64 = app
        .with_connection(|conn| {
            dispute_history::table
                .filter(dispute_history::kind.eq_any(["upheld", "rejected"]))
                .inner_join(disputes::table)
                .filter(disputes::reference.eq(&reference))
                .count()
                .get_result(conn)
        })
        .unwrap();
    assert_eq!(decisions, 1);
    let emails = app.outbox_emails();
    assert_eq!(
        emails
            .iter()
            .filter(|e| e.notice == "upheld" || e.notice == "rejected")
            .count(),
        1
    );
}
