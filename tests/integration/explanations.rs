//! Every access explained or flagged (issue 13): the demo's explained and flagged accesses, the
//! investigation of the night-time browser, records that arrive late, the role matrix of the new
//! routes, and what the customer sees (never an employee or a rule).

use diesel::prelude::*;
use einblick::db::schema::{access_explanations, context_records, investigations};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    the_demo_explains_most_accesses_and_gathers_the_night_browser_into_one_case,
    deciding_a_violation_changes_the_entries_and_tells_the_customer,
    records_that_arrive_late_still_explain_and_updates_are_idempotent,
    new_routes_follow_the_role_matrix,
    changed_rules_are_applied_to_history,
    descriptions_sent_at_once_never_refuse_each_other,
    each_rule_fires_on_its_planted_case_and_not_on_a_near_miss,
    the_page_read_with_its_judgements_lists_what_the_keyset_read_lists,
    the_judges_hour_counts_learn_what_the_accesses_teach,
);

/// Waits (as a person would) until `check` holds; the judge runs seconds after ingest.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..150 {
        if check() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{what} did not happen within 15 s");
}

fn states(items: &[Value]) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for item in items {
        *counts
            .entry(
                item["explanation"]["state"]
                    .as_str()
                    .unwrap_or("none")
                    .to_owned(),
            )
            .or_default() += 1;
    }
    counts
}

/// The reference of the open investigation about `employee`, from the queue page.
fn case_of(page: &str, employee: &str) -> Option<String> {
    page.split("<tr ")
        .find(|row| row.contains(&format!("data-employee=\"{employee}\"")))
        .and_then(|row| row.split("data-investigation=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned)
}

fn the_demo_explains_most_accesses_and_gathers_the_night_browser_into_one_case(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut anna = app.signed_in(ANNA);
    let items = all_api_items(&mut anna, "&lang=en");
    let counts = states(&items);
    let explained = counts.get("explained").copied().unwrap_or(0);
    let share = explained as f64 / items.len() as f64;
    assert!(
        share >= 0.85,
        "only {share:.2} of Anna's accesses explained: {counts:?}"
    );
    assert!(
        counts.get("unexplained").copied().unwrap_or(0) > 0,
        "{counts:?}"
    );
    let texts: Vec<&str> = items
        .iter()
        .filter_map(|i| i["explanation"]["text"].as_str())
        .collect();
    assert!(texts
        .iter()
        .any(|t| t.starts_with("Explained: your support ticket T-")));
    assert!(texts
        .iter()
        .any(|t| t.starts_with("Explained: your order O-")));
    // Never who, never which rule.
    let everything = serde_json::to_string(&items).unwrap();
    for secret in ["E-10", "no_reason", "outside_shift", "employee", "rule"] {
        assert!(
            !everything.contains(secret),
            "{secret} reached the customer"
        );
    }
    // The filter "only unexplained".
    let unexplained = all_api_items(&mut anna, "&explanation=unexplained");
    assert!(!unexplained.is_empty());
    assert!(unexplained
        .iter()
        .all(|i| i["explanation"]["state"] != "explained"));
    assert_eq!(
        anna.get("/api/v1/me/access-events?explanation=whatever")
            .status,
        400
    );
    let everything = anna.get("/timeline");
    assert!(everything.body.contains("data-explanation=\"explained\""));
    let page = anna.get("/timeline?explanation=unexplained");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("data-explanation=\"unexplained\"")
            || page.body.contains("data-explanation=\"flagged\"")
    );
    assert!(
        !page.body.contains("data-explanation=\"explained\""),
        "the page's filter applies"
    );
    assert!(
        page.body.contains("<option value=\"unexplained\" selected"),
        "and the form keeps it"
    );

    // Mara's night-time browser is one case with their forty looks, heaviest in the queue.
    let mut lead = app.staff_signed_in(LEAD);
    let queue = lead.get("/staff/investigations");
    assert_eq!(queue.status, 200);
    let reference = case_of(&queue.body, einblick::seed::demo::SNOOPING_EMPLOYEE).expect("case");
    let first_row = queue.body.split("<tbody>").nth(1).unwrap();
    assert!(
        first_row
            .split("</tr>")
            .next()
            .unwrap()
            .contains(einblick::seed::demo::SNOOPING_EMPLOYEE),
        "the night browser is not the heaviest case"
    );
    let mara_before = all_api_items(&mut app.signed_in(MARA), "").len();
    let case = lead.get(&format!("/staff/investigations/{reference}"));
    assert_eq!(case.status, 200);
    assert_eq!(
        case.body.matches("data-access=").count(),
        40,
        "forty accesses"
    );
    for rule in [
        "outside_shift",
        "high_profile",
        "no_reason",
        "repeated_unexplained",
    ] {
        assert!(
            case.body.contains(&format!("data-rule=\"{rule}\"")),
            "{rule}"
        );
    }
    // Opening the case is a look at Mara's data, in her timeline.
    assert_eq!(
        all_api_items(&mut app.signed_in(MARA), "").len(),
        mara_before + 1
    );
    // The employee who shares Ben's surname and postcode.
    let neighbour =
        case_of(&queue.body, einblick::seed::demo::NEIGHBOUR_EMPLOYEE).expect("neighbour case");
    let case = lead.get(&format!("/staff/investigations/{neighbour}"));
    assert!(case.body.contains("data-rule=\"same_surname_or_postcode\""));

    // The statistics show the explained share and flags per role.
    let statistics = lead.get("/staff/statistics?from=2025-05-01&to=2026-11-20");
    assert!(statistics.body.contains("id=\"explained-share\""));
}

fn deciding_a_violation_changes_the_entries_and_tells_the_customer(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut lead = app.staff_signed_in(LEAD);
    let queue = lead.get("/staff/investigations");
    let reference = case_of(&queue.body, einblick::seed::demo::SNOOPING_EMPLOYEE).unwrap();
    let decide = format!("/staff/investigations/{reference}/decide");

    let mut analyst = app.staff_signed_in(ANALYST);
    let refused = analyst.post_form(&decide, &[("outcome", "violation"), ("reason", "x")]);
    assert_eq!(refused.status, 403);
    let noted = analyst.post_form(
        &format!("/staff/investigations/{reference}/note"),
        &[("note", "Called the team lead; no ticket in any system.")],
    );
    assert_eq!(noted.status, 303);

    let missing = lead.post_form(&decide, &[("outcome", "violation"), ("reason", " ")]);
    assert!(missing
        .header("location")
        .unwrap()
        .ends_with("error=reason"));
    let done = lead.post_form(
        &decide,
        &[
            ("outcome", "violation"),
            (
                "reason",
                "Looked at a public figure's orders at night without any business reason.",
            ),
            ("notify", "1"),
        ],
    );
    assert!(
        done.header("location").unwrap().ends_with("notice=saved"),
        "{:?}",
        done.header("location")
    );
    let again = lead.post_form(
        &decide,
        &[("outcome", "appropriate"), ("reason", "Changed my mind")],
    );
    assert!(again.header("location").unwrap().ends_with("error=decided"));

    let mut mara = app.signed_in(MARA);
    let violations = all_api_items(&mut mara, "&explanation=violation&lang=de");
    assert_eq!(violations.len(), 40);
    assert!(violations[0]["explanation"]["text"]
        .as_str()
        .unwrap()
        .contains("nicht gerechtfertigt"));
    let told: Vec<_> = app
        .outbox_emails()
        .into_iter()
        .filter(|m| m.notice == "access_violation")
        .collect();
    assert_eq!(told.len(), 1, "one notice to Mara");
    assert_eq!(told[0].to, MARA);
    assert!(told[0].text.contains("/timeline?explanation=violation"));
    let case = lead.get(&format!("/staff/investigations/{reference}"));
    assert!(case.body.contains("Called the team lead"));
}

const CRM: &str = "/crm/support-console";
const RECORDS: &str = "/shop/records";

fn feed(app: &TestApp) -> String {
    let sources = vec![CRM.to_owned(), RECORDS.to_owned()];
    app.with_connection(|conn| {
        einblick::ingest::token::create(conn, "test", &sources, chrono::Utc::now().naive_utc())
    })
    .unwrap()
    .1
}

fn send(app: &TestApp, token: &str, event: &Value) -> Value {
    let response = app.client().post_raw(
        "/api/v1/feed/events",
        "application/cloudevents+json",
        event.to_string().as_bytes(),
        &[("Authorization", &format!("Bearer {token}"))],
    );
    assert_eq!(response.status, 200, "{}", response.body);
    response.json()
}

fn state_of(app: &TestApp, event_id: &str) -> Option<String> {
    use einblick::db::schema::access_events;
    app.with_connection(|conn| {
        access_events::table
            .inner_join(access_explanations::table)
            .filter(access_events::event_id.eq(event_id))
            .select(access_explanations::state)
            .first::<String>(conn)
            .optional()
    })
    .unwrap()
}

fn records_that_arrive_late_still_explain_and_updates_are_idempotent(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("EINBLICK_REFERENCE_SOURCES", RECORDS)], true);
    let token = feed(&app);
    let access = json!({
        "specversion": "1.0", "id": "late-1", "source": CRM, "type": "einblick.access.v1",
        "time": "2026-11-25T10:00:00Z",
        "data": {
            "customer_ref": "C-555",
            "actor": { "employee_id": "E-1001", "role": "cs_agent_t1" },
            "data_category": "purchase_history", "action": "view",
            "reason": { "code": "customer_request" }
        }
    });
    assert_eq!(send(&app, &token, &access)["accepted"], 1);
    eventually("the access is judged", || {
        state_of(&app, "late-1").is_some()
    });
    assert_eq!(state_of(&app, "late-1").as_deref(), Some("flagged"));

    let ticket = |id: &str, time: &str, closed: Option<&str>| {
        json!({
            "specversion": "1.0", "id": id, "source": RECORDS, "type": "einblick.context.v1",
            "time": time,
            "data": {
                "customer_ref": "C-555", "kind": "support_ticket", "reference": "T-777",
                "opened_at": "2026-11-25T09:30:00Z", "closed_at": closed,
                "assigned_team": "Support Berlin"
            }
        })
    };
    let opened = ticket("ctx-1", "2026-11-25T09:30:00Z", None);
    assert_eq!(send(&app, &token, &opened)["accepted"], 1);
    eventually("the late ticket explains the access", || {
        state_of(&app, "late-1").as_deref() == Some("explained")
    });
    // Looked at again three days later, while the ticket is still open: explained by it too.
    let mut later = access.clone();
    later["id"] = json!("late-2");
    later["time"] = json!("2026-11-29T10:00:00Z");
    assert_eq!(send(&app, &token, &later)["accepted"], 1);
    eventually("the open ticket explains the later access", || {
        state_of(&app, "late-2").as_deref() == Some("explained")
    });
    // A look on the 29th explained by a return opened on the 27th: a request naming no ticket,
    // and the customer has one open.
    let return_record = json!({
        "specversion": "1.0", "id": "ctx-return", "source": RECORDS, "type": "einblick.context.v1",
        "time": "2026-11-27T09:00:00Z",
        "data": {
            "customer_ref": "C-555", "kind": "return", "reference": "R-555",
            "opened_at": "2026-11-27T09:00:00Z"
        }
    });
    assert_eq!(send(&app, &token, &return_record)["accepted"], 1);
    let mut by_return = access.clone();
    by_return["id"] = json!("late-3");
    by_return["time"] = json!("2026-11-29T11:00:00Z");
    assert_eq!(send(&app, &token, &by_return)["accepted"], 1);
    eventually("the return explains the third access", || {
        state_of(&app, "late-3").as_deref() == Some("explained")
    });
    // The same description again changes nothing.
    let again = send(&app, &token, &opened);
    assert_eq!(
        (again["accepted"].as_u64(), again["duplicates"].as_u64()),
        (Some(0), Some(1))
    );
    // Closed later: applied; an older description arriving after it: ignored.
    let closed = ticket(
        "ctx-2",
        "2026-11-26T12:00:00Z",
        Some("2026-11-26T12:00:00Z"),
    );
    assert_eq!(send(&app, &token, &closed)["accepted"], 1);
    // Closed on the 26th, it explains up to 48 hours after: the look on the 29th no longer.
    eventually(
        "the closed ticket no longer explains the later access",
        || state_of(&app, "late-2").as_deref() == Some("flagged"),
    );
    assert_eq!(state_of(&app, "late-1").as_deref(), Some("explained"));
    let stale = ticket("ctx-0", "2026-11-25T09:00:00Z", None);
    assert_eq!(send(&app, &token, &stale)["duplicates"], 1);
    let (count, closed_at): (i64, Option<chrono::NaiveDateTime>) = app
        .with_connection(|conn| {
            let count = context_records::table
                .filter(context_records::reference.eq("T-777"))
                .count()
                .get_result(conn)?;
            let closed = context_records::table
                .filter(context_records::reference.eq("T-777"))
                .select(context_records::closed_at)
                .first(conn)?;
            diesel::QueryResult::Ok((count, closed))
        })
        .unwrap();
    assert_eq!(count, 1);
    assert!(closed_at.is_some(), "the close was lost");
    assert_eq!(state_of(&app, "late-1").as_deref(), Some("explained"));
    // The return still explains the third look, but the request now had no ticket open.
    eventually(
        "the closed ticket leaves the third access without a ticket",
        || state_of(&app, "late-3").as_deref() == Some("flagged"),
    );

    // A malformed record is refused with the member named and kept.
    let mut bad = ticket(
        "ctx-bad",
        "2026-11-26T12:00:00Z",
        Some("2026-11-01T00:00:00Z"),
    );
    bad["data"]["reference"] = json!("T-778");
    let report = send(&app, &token, &bad);
    assert!(report["rejections"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("closed_at"));
}

/// Two systems describe the same records at once (one opens them, the other closes them, in the
/// opposite order, under a kind nobody named before) while accesses to those customers arrive:
/// every event is stored, none refused or left as a dead letter, and the newer description wins.
fn descriptions_sent_at_once_never_refuse_each_other(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("EINBLICK_REFERENCE_SOURCES", RECORDS)], true);
    let token = feed(&app);
    let record = |id: String, round: usize, n: usize, time: &str, closed: Option<&str>| {
        json!({
            "specversion": "1.0", "id": id, "source": RECORDS, "type": "einblick.context.v1",
            "time": time,
            "data": {
                "customer_ref": format!("C-9{round:02}{n:02}"), "kind": format!("claim_{round}"),
                "reference": format!("RACE-{round}-{n}"),
                "opened_at": "2026-11-20T09:00:00Z", "closed_at": closed
            }
        })
    };
    let access = |round: usize, n: usize| {
        json!({
            "specversion": "1.0", "id": format!("race-{round}-{n}"), "source": CRM,
            "type": "einblick.access.v1", "time": "2026-11-20T09:30:00Z",
            "data": {
                "customer_ref": format!("C-9{round:02}{n:02}"),
                "actor": { "employee_id": "E-1001", "role": "cs_agent_t1" },
                "data_category": "purchase_history", "action": "view",
                "reason": { "code": "customer_request" }
            }
        })
    };
    const ROUNDS: usize = 8;
    const RECORDS_PER_ROUND: usize = 15;
    for round in 0..ROUNDS {
        let opening: Vec<Value> = (0..RECORDS_PER_ROUND)
            .flat_map(|n| {
                [
                    record(
                        format!("open-{round}-{n}"),
                        round,
                        n,
                        "2026-11-20T09:00:00Z",
                        None,
                    ),
                    access(round, n),
                ]
            })
            .collect();
        let closing: Vec<Value> = (0..RECORDS_PER_ROUND)
            .rev()
            .map(|n| {
                record(
                    format!("close-{round}-{n}"),
                    round,
                    n,
                    "2026-11-21T09:00:00Z",
                    Some("2026-11-21T09:00:00Z"),
                )
            })
            .collect();
        std::thread::scope(|scope| {
            scope.spawn(|| send_batch(&app, &token, &opening));
            scope.spawn(|| send_batch(&app, &token, &closing));
        });
    }
    let (records, closed, letters) = app
        .with_connection(|conn| {
            use einblick::db::schema::dead_letters;
            let records: i64 = context_records::table
                .filter(context_records::reference.like("RACE-%"))
                .count()
                .get_result(conn)?;
            let closed: i64 = context_records::table
                .filter(context_records::reference.like("RACE-%"))
                .filter(context_records::closed_at.is_not_null())
                .count()
                .get_result(conn)?;
            let letters: i64 = dead_letters::table.count().get_result(conn)?;
            diesel::QueryResult::Ok((records, closed, letters))
        })
        .unwrap();
    let expected = (ROUNDS * RECORDS_PER_ROUND) as i64;
    assert_eq!((records, closed, letters), (expected, expected, 0));
    // Whatever order the batches took, every access ends up judged, none left pending.
    eventually("every access is judged", || {
        (0..ROUNDS).all(|round| {
            (0..RECORDS_PER_ROUND).all(|n| {
                state_of(&app, &format!("race-{round}-{n}")).is_some_and(|state| state != "pending")
            })
        })
    });
}

/// The rules fired on an access, once it is judged.
fn rules_of(app: &TestApp, event_id: &str) -> Option<Vec<String>> {
    use einblick::db::schema::access_events;
    app.with_connection(|conn| {
        access_events::table
            .inner_join(access_explanations::table)
            .filter(access_events::event_id.eq(event_id))
            .filter(access_explanations::state.ne("pending"))
            .select(access_explanations::rules)
            .first::<String>(conn)
            .optional()
    })
    .unwrap()
    .map(|rules| {
        rules
            .split(',')
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect()
    })
}

/// Every rule, through the real feed and judge: it fires on a planted case and stays silent on
/// the near-miss beside it (a ticket that explains, a name that differs, a look in the shift,
/// one look fewer, a few customers fewer).
fn each_rule_fires_on_its_planted_case_and_not_on_a_near_miss(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("EINBLICK_REFERENCE_SOURCES", RECORDS)], true);
    let token = feed(&app);
    // 24 November 2026, 10:00 UTC is 11:00 in Berlin: inside an 08-17 shift.
    let at = |minute: u32| format!("2026-11-24T10:{minute:02}:00Z");
    let reference = |id: &str, kind: &str, data: Value| {
        json!({
            "specversion": "1.0", "id": id, "source": RECORDS, "type": kind,
            "time": "2026-11-23T08:00:00Z", "data": data
        })
    };
    let employee = |id: &str, data: Value| {
        let mut data = data;
        data["employee_id"] = json!(id);
        data["team"] = json!("Support Berlin");
        data["shift"] = json!("08-17");
        reference(&format!("dir-{id}"), "einblick.employee.v1", data)
    };
    let customer = |customer_ref: &str, data: Value| {
        let mut data = data;
        data["customer_ref"] = json!(customer_ref);
        reference(
            &format!("cust-{customer_ref}"),
            "einblick.customer.v1",
            data,
        )
    };
    let ticket = |customer_ref: &str, number: &str| {
        reference(
            &format!("ticket-{number}"),
            "einblick.context.v1",
            json!({
                "customer_ref": customer_ref, "kind": "support_ticket", "reference": number,
                "opened_at": "2026-11-23T08:00:00Z"
            }),
        )
    };
    let mut references = vec![
        employee("E-7105", json!({ "customer_ref": "C-71009" })),
        employee(
            "E-7106",
            json!({ "surname": "Kowalczyk", "postcode": "04109" }),
        ),
        employee("E-7110", json!({})),
        customer("C-71007", json!({ "high_profile": true })),
        customer("C-71008", json!({ "high_profile": true })),
        customer("C-71011", json!({ "surname": "kowalczyk" })),
        customer(
            "C-71012",
            json!({ "surname": "Kowalski", "postcode": "04110" }),
        ),
    ];
    for (customer_ref, number) in [
        ("C-71002", "T-71002"),
        ("C-71004", "T-71004"),
        ("C-71006", "T-71006"),
        ("C-71008", "T-71008"),
        ("C-71014", "T-71014"),
    ] {
        references.push(ticket(customer_ref, number));
    }
    send_batch(&app, &token, &references);

    let access = |id: &str, employee: &str, customer_ref: &str, time: String, extra: Value| {
        let mut data = json!({
            "customer_ref": customer_ref,
            "actor": { "employee_id": employee, "role": "cs_agent_t1", "team": "Support Berlin" },
            "data_category": "purchase_history", "action": "view",
            "reason": { "code": "customer_request", "ticket": format!("T-{}", &customer_ref[2..]) }
        });
        if let Value::Object(members) = extra {
            for (key, value) in members {
                data[key] = value;
            }
        }
        json!({
            "specversion": "1.0", "id": id, "source": CRM, "type": "einblick.access.v1",
            "time": time, "data": data
        })
    };
    let no_reason = json!({ "reason": { "code": "none" } });
    let request_alone = json!({ "reason": { "code": "customer_request" } });
    // (rule, planted case, near miss): events with a fixed id each.
    let mut accesses = vec![
        access(
            "no-reason-hit",
            "E-7101",
            "C-71001",
            at(0),
            no_reason.clone(),
        ),
        access(
            "no-reason-miss",
            "E-7101",
            "C-71002",
            at(1),
            no_reason.clone(),
        ),
        access(
            "request-hit",
            "E-7102",
            "C-71003",
            at(2),
            request_alone.clone(),
        ),
        access(
            "request-miss",
            "E-7102",
            "C-71004",
            at(3),
            request_alone.clone(),
        ),
        access(
            "ticket-hit",
            "E-7103",
            "C-71005",
            at(4),
            json!({ "reason": { "code": "customer_request", "ticket": "T-NOPE" } }),
        ),
        access("ticket-miss", "E-7103", "C-71006", at(5), json!({})),
        access("vip-hit", "E-7104", "C-71007", at(6), no_reason.clone()),
        access("vip-miss", "E-7104", "C-71008", at(7), json!({})),
        access("self-hit", "E-7105", "C-71009", at(8), json!({})),
        access("self-miss", "E-7105", "C-71010", at(9), json!({})),
        access("name-hit", "E-7106", "C-71011", at(10), json!({})),
        access("name-miss", "E-7106", "C-71012", at(11), json!({})),
        access(
            "search-hit",
            "E-7107",
            "C-71013",
            at(12),
            json!({ "action": "search" }),
        ),
        access(
            "search-miss",
            "E-7107",
            "C-71014",
            at(13),
            json!({ "action": "search" }),
        ),
        // 02:00 in Berlin, outside 08-17; and 11:00 inside.
        access(
            "shift-hit",
            "E-7110",
            "C-71015",
            "2026-11-24T01:00:00Z".into(),
            json!({}),
        ),
        access("shift-miss", "E-7110", "C-71016", at(15), json!({})),
    ];
    // Three unexplained looks at one customer (the third fires); two at another.
    for n in 0..3 {
        accesses.push(access(
            &format!("repeat-hit-{n}"),
            "E-7111",
            "C-71020",
            at(20 + n),
            json!({}),
        ));
    }
    for n in 0..2 {
        accesses.push(access(
            &format!("repeat-miss-{n}"),
            "E-7112",
            "C-71021",
            at(20 + n),
            json!({}),
        ));
    }
    // Forty customers in one hour; eight in another employee's hour.
    for n in 0..40 {
        accesses.push(access(
            &format!("volume-hit-{n}"),
            "E-7108",
            &format!("C-720{n:02}"),
            at(n),
            json!({}),
        ));
    }
    for n in 0..8 {
        accesses.push(access(
            &format!("volume-miss-{n}"),
            "E-7109",
            &format!("C-730{n:02}"),
            at(n),
            json!({}),
        ));
    }
    send_batch(&app, &token, &accesses);

    let fired = |id: &str| -> Vec<String> {
        let mut rules = None;
        eventually(&format!("{id} is judged"), || {
            rules = rules_of(&app, id);
            rules.is_some()
        });
        rules.unwrap_or_default()
    };
    for (rule, hit, miss) in [
        ("no_reason", "no-reason-hit", "no-reason-miss"),
        ("request_without_ticket", "request-hit", "request-miss"),
        ("unknown_ticket", "ticket-hit", "ticket-miss"),
        ("high_profile", "vip-hit", "vip-miss"),
        ("self_lookup", "self-hit", "self-miss"),
        ("same_surname_or_postcode", "name-hit", "name-miss"),
        ("search_unexplained", "search-hit", "search-miss"),
        ("outside_shift", "shift-hit", "shift-miss"),
        ("repeated_unexplained", "repeat-hit-2", "repeat-miss-1"),
        ("unusual_volume", "volume-hit-39", "volume-miss-7"),
    ] {
        let planted = fired(hit);
        assert!(
            planted.iter().any(|r| r == rule),
            "{rule} did not fire on {hit}: {planted:?}"
        );
        let near = fired(miss);
        assert!(
            !near.iter().any(|r| r == rule),
            "{rule} fired on {miss}: {near:?}"
        );
    }
    // The first two looks of the repetition are below the threshold.
    assert!(!fired("repeat-hit-1")
        .iter()
        .any(|r| r == "repeated_unexplained"));
}

fn new_routes_follow_the_role_matrix(backend: Backend) {
    let app = TestApp::spawn(backend);
    let any_case: String = app
        .with_connection(|conn| {
            investigations::table
                .select(investigations::reference)
                .first(conn)
        })
        .unwrap();
    let pages = [
        ("/staff/investigations".to_owned(), [200, 200, 403, 403]),
        (
            format!("/staff/investigations/{any_case}"),
            [200, 200, 403, 403],
        ),
        ("/staff/admin/detection".to_owned(), [403, 403, 403, 200]),
    ];
    let people = [ANALYST, LEAD, REGULATOR, ADMIN];
    for (path, expected) in &pages {
        for (who, status) in people.iter().zip(expected) {
            let response = app.staff_signed_in(who).get(path);
            assert_eq!(response.status, *status, "{who} GET {path}");
        }
        let customer = app.signed_in(ANNA).get(path);
        assert!(matches!(customer.status, 302 | 303), "a customer at {path}");
    }
    let posts = [
        (
            format!("/staff/investigations/{any_case}/note"),
            vec![("note", "n")],
            [303, 303, 403, 403],
        ),
        (
            format!("/staff/investigations/{any_case}/decide"),
            vec![("outcome", "appropriate"), ("reason", "fine")],
            [403, 303, 403, 403],
        ),
        (
            "/staff/admin/detection/rules".to_owned(),
            vec![("enabled_no_reason", "1")],
            [403, 403, 403, 303],
        ),
    ];
    for (path, fields, expected) in &posts {
        for (who, status) in people.iter().zip(expected) {
            let response = app.staff_signed_in(who).post_form(path, fields);
            assert_eq!(response.status, *status, "{who} POST {path}");
        }
    }
}

fn changed_rules_are_applied_to_history(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut admin = app.staff_signed_in(ADMIN);
    let page = admin.get("/staff/admin/detection");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("data-rule=\"outside_shift\""));
    // Everything off but the shared-name rule: the night browser's case clears.
    let saved = admin.post_form(
        "/staff/admin/detection/rules",
        &[
            ("enabled_same_surname_or_postcode", "1"),
            ("threshold_unusual_volume", "1.5"),
        ],
    );
    assert!(saved.header("location").unwrap().ends_with("notice=saved"));
    let snooper_case_status = || -> String {
        app.with_connection(|conn| {
            investigations::table
                .filter(investigations::employee_id.eq(einblick::seed::demo::SNOOPING_EMPLOYEE))
                .order(investigations::id.desc())
                .select(investigations::status)
                .first(conn)
        })
        .unwrap()
    };
    eventually("the history is judged again", || {
        snooper_case_status() == "cleared"
    });
    let bad = admin.post_form(
        "/staff/admin/detection/rules",
        &[("threshold_unusual_volume", "lots")],
    );
    assert!(bad.header("location").unwrap().contains("error=threshold"));
}

/// The timeline page reads its accesses and their judgements in one statement
/// (`explained_timeline_page`); it must list what the keyset read alone lists, unfiltered and for
/// the explanation filters, an access not judged yet among them, on the first page and the next,
/// each with the judgement stored for it.
fn the_page_read_with_its_judgements_lists_what_the_keyset_read_lists(backend: Backend) {
    use einblick::db::{access_event, explanation};
    use einblick::domain::explanation::{ExplanationFilter, ExplanationState};
    use einblick::domain::{AccessEventId, CustomerRef, TimelineCursor, TimelineFilter};

    let app = TestApp::spawn(backend);
    let now = chrono::Utc::now().naive_utc();
    app.with_connection(|conn| {
        // One of Anna's newest accesses not judged yet: it counts as not explained.
        let anna = CustomerRef::parse(ANNA_REF).unwrap();
        let newest = access_event::timeline_page(conn, &anna, &TimelineFilter::default(), now)
            .unwrap()[0]
            .id;
        diesel::delete(access_explanations::table.find(newest))
            .execute(conn)
            .unwrap();

        let mut judged_states = std::collections::BTreeSet::new();
        for customer in [ANNA_REF, MARA_REF] {
            let customer = CustomerRef::parse(customer).unwrap();
            for explanation in [
                None,
                Some(ExplanationFilter::NotExplained),
                Some(ExplanationFilter::Explained),
                Some(ExplanationFilter::One(ExplanationState::Flagged)),
                Some(ExplanationFilter::One(ExplanationState::Unexplained)),
            ] {
                let mut filter = TimelineFilter {
                    explanation,
                    limit: 20,
                    ..TimelineFilter::default()
                };
                for page in ["first", "second"] {
                    let plain = access_event::timeline_page(conn, &customer, &filter, now).unwrap();
                    let explained =
                        access_event::explained_timeline_page(conn, &customer, &filter, now)
                            .unwrap();
                    let ids: Vec<i64> = plain.iter().map(|row| row.id).collect();
                    let explained_ids: Vec<i64> =
                        explained.iter().map(|row| row.access.id).collect();
                    assert_eq!(explained_ids, ids, "{customer:?} {explanation:?} {page}");
                    let stored = explanation::shown_for_events(conn, &ids).unwrap();
                    for row in &explained {
                        let (state, record) = match stored.get(&row.access.id) {
                            Some((state, record)) => (Some(state.clone()), record.clone()),
                            None => (None, None),
                        };
                        assert_eq!(row.state, state, "{}", row.access.id);
                        assert_eq!(row.record, record, "{}", row.access.id);
                        judged_states.insert(row.state.clone());
                    }
                    // Unfiltered, each customer has more than a page: the second is read.
                    if explanation.is_none() && page == "first" {
                        assert!(plain.len() > filter.limit as usize, "{customer:?}");
                    }
                    let Some(last) = plain.get(filter.limit as usize - 1) else {
                        break;
                    };
                    filter.cursor = Some(TimelineCursor {
                        occurred_at: last.occurred_at,
                        id: AccessEventId(last.id),
                    });
                }
            }
        }
        for state in [
            None,
            Some("explained"),
            Some("unexplained"),
            Some("flagged"),
        ] {
            assert!(
                judged_states.contains(&state.map(str::to_owned)),
                "the demo has {state:?} accesses to compare: {judged_states:?}"
            );
        }
    });
}

/// The judge counts each employee-hour's distinct customers as it judges (`employee_hours`), and
/// its hourly learning of the volume rule's baselines reads those counts instead of the
/// accesses: it must learn what counting the accesses themselves learns, count an hour that two
/// batches filled whole (not only the later batch's part), and remove hours older than it reads.
fn the_judges_hour_counts_learn_what_the_accesses_teach(backend: Backend) {
    use einblick::db::schema::employee_hours;
    use einblick::db::{employee_hour, explanation};
    use einblick::explain::{evaluate, run};

    let app = TestApp::spawn(backend);
    let token = feed(&app);
    let now = chrono::Utc::now().naive_utc();
    let hour = evaluate::hour_of(now - chrono::Duration::days(2));
    let access = |id: String, employee: &str, role: &str, customer: String, minutes: i64| {
        json!({
            "specversion": "1.0", "id": id, "source": CRM, "type": "einblick.access.v1",
            "time": (hour + chrono::Duration::minutes(minutes)).and_utc().to_rfc3339(),
            "data": {
                "customer_ref": customer,
                "actor": { "employee_id": employee, "role": role, "team": "Support Berlin" },
                "data_category": "purchase_history", "action": "view",
                "reason": { "code": "customer_request" }
            }
        })
    };
    let judged = |id: &str| state_of(&app, id).is_some_and(|state| state != "pending");
    // E-7201 looks at five customers, and in a later batch at six, two of them again: nine.
    // E-7202, in another role, at three in the hour and one in the next.
    let mut first: Vec<Value> = (0..5)
        .map(|n| {
            access(
                format!("hours-a-{n}"),
                "E-7201",
                "cs_agent_t1",
                format!("C-7300{n}"),
                n,
            )
        })
        .collect();
    for (n, minutes) in [(0, 10), (1, 20), (2, 30), (3, 70)] {
        first.push(access(
            format!("hours-c-{n}"),
            "E-7202",
            "wh_fulfilment_agent",
            format!("C-7310{n}"),
            minutes,
        ));
    }
    send_batch(&app, &token, &first);
    eventually("the first batch is judged", || {
        judged("hours-a-4") && judged("hours-c-3")
    });
    let second: Vec<Value> = (3..9)
        .map(|n| {
            access(
                format!("hours-b-{n}"),
                "E-7201",
                "cs_agent_t1",
                format!("C-7300{n}"),
                30 + n,
            )
        })
        .collect();
    send_batch(&app, &token, &second);
    eventually("the second batch is judged", || judged("hours-b-8"));

    let customers = |employee: &str, at: chrono::NaiveDateTime| {
        app.with_connection(|conn| {
            employee_hours::table
                .filter(employee_hours::employee_id.eq(employee))
                .filter(employee_hours::hour.eq(at))
                .select((employee_hours::role_code, employee_hours::customers))
                .load::<(String, i64)>(conn)
        })
        .unwrap()
    };
    assert_eq!(
        customers("E-7201", hour),
        vec![("cs_agent_t1".to_owned(), 9)]
    );
    assert_eq!(
        customers("E-7202", hour),
        vec![("wh_fulfilment_agent".to_owned(), 3)]
    );
    assert_eq!(
        customers("E-7202", hour + chrono::Duration::hours(1)),
        vec![("wh_fulfilment_agent".to_owned(), 1)]
    );

    let old_hour = evaluate::hour_of(now - chrono::Duration::days(100));
    app.with_connection(|conn| {
        employee_hour::store(
            conn,
            &[employee_hour::EmployeeHourRow {
                hour: old_hour,
                employee_id: "E-7203".into(),
                role_code: "cs_agent_t1".into(),
                customers: 500,
            }],
        )
        .unwrap();
        run::learn_baselines(conn, now).unwrap();
        let from_hours = explanation::baselines(conn).unwrap();
        run::learn_baselines_from_accesses(conn, now).unwrap();
        let from_accesses = explanation::baselines(conn).unwrap();
        assert_eq!(from_hours, from_accesses);
        for role in ["cs_agent_t1", "wh_fulfilment_agent"] {
            assert!(from_hours.contains_key(role), "{role}: {from_hours:?}");
        }
        // Learning keeps the whole hour 90 days back begins in.
        let first_hour_kept = evaluate::hour_of(now - chrono::Duration::days(90));
        let old_hours: i64 = employee_hours::table
            .filter(employee_hours::hour.lt(first_hour_kept))
            .count()
            .get_result(conn)
            .unwrap();
        assert_eq!(old_hours, 0);
    });
}
