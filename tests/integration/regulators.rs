//! Supervisory authorities' cases: opening a case, the subject's report in every format, the
//! case log, the subject's timeline (at once, or at closing for confidential cases), and that a
//! regulator never reaches a subject outside their own authority's cases.

use serde_json::Value;

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    a_regulator_opens_a_case_and_downloads_the_subjects_report,
    a_confidential_case_shows_in_the_timeline_only_once_closed,
    a_regulator_never_reaches_a_subject_outside_their_cases,
    a_refused_case_comes_back_with_everything_typed
);

const CASE_REFERENCE: &str = "BlnBDI-511.2026/0815";

fn open_case(
    regulator: &mut Client,
    reference: &str,
    customer_ref: &str,
    confidential: bool,
) -> String {
    let mut fields = vec![
        ("reference", reference),
        (
            "legal_basis",
            "Art. 58 Abs. 1 lit. a DSGVO, Beschwerde vom 3. November",
        ),
        ("customer_ref", customer_ref),
        ("from", "2026-01-01"),
        ("to", "2026-11-20"),
    ];
    if confidential {
        fields.push(("confidential", "1"));
    }
    let response = regulator.post_form("/staff/regulator/cases", &fields);
    assert_eq!(response.status, 303, "{}", response.body);
    let location = response.header("location").unwrap();
    assert!(
        location.starts_with("/staff/regulator/cases/"),
        "{location}"
    );
    location
}

/// The entries the authority's work left in Anna's own timeline.
fn supervisory_entries(app: &TestApp) -> Vec<Value> {
    let mut anna = app.signed_in(ANNA);
    all_api_items(&mut anna, "reason=supervisory_review")
}

fn a_regulator_opens_a_case_and_downloads_the_subjects_report(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut regulator = app.staff_signed_in(REGULATOR);
    let list = regulator.get("/staff/regulator");
    assert_eq!(list.status, 200);
    assert!(list.body.contains("Berliner Beauftragte"));

    let case_url = open_case(&mut regulator, CASE_REFERENCE, ANNA_REF, false);
    let page = regulator.get(&case_url);
    assert_eq!(page.status, 200);
    let body = page.body.replace("<!>", "");
    for expected in [
        CASE_REFERENCE,
        ANNA_REF,
        "Anna Schmidt",
        "2026-01-01 – 2026-11-20",
        "Art. 58",
    ] {
        assert!(body.contains(expected), "{expected}");
    }
    let listed = regulator.get("/staff/regulator").body.replace("<!>", "");
    assert!(listed.contains(CASE_REFERENCE));

    // Every format of the subject's report, for the case's period.
    for format in ["pdf", "html", "json", "csv"] {
        let report = regulator.get(&format!("{case_url}/report?format={format}"));
        assert_eq!(report.status, 200, "{format}: {}", report.body);
        assert!(report.header("x-content-sha256").is_some());
    }
    let json = regulator
        .get(&format!("{case_url}/report?format=json&lang=en"))
        .json();
    assert_eq!(json["subject"]["customer_ref"], ANNA_REF);
    assert_eq!(json["period"]["from"], "2026-01-01");
    assert_eq!(json["period"]["to"], "2026-11-20");
    assert!(!json["accesses"].as_array().unwrap().is_empty());

    // The case log names who did what.
    let log = regulator.get(&case_url).body.replace("<!>", "");
    assert!(log.contains("Fall eröffnet"));
    assert!(log.contains("Auskunft heruntergeladen"));
    assert!(log.contains("Dr. Ines Vogt"));

    // Anna sees the authority's work in her own timeline at once.
    let entries = supervisory_entries(&app);
    // opened, viewed twice, five downloads
    assert_eq!(entries.len(), 8, "{entries:#?}");
    let entry = &entries[0];
    assert_eq!(entry["role"]["code"], "regulator");
    assert_eq!(entry["ticket"], CASE_REFERENCE);
    assert!(entry["reason_text"]
        .as_str()
        .unwrap()
        .contains("Berliner Beauftragte für Datenschutz und Informationsfreiheit"));
    assert!(
        !entry.to_string().contains("einblick-staff"),
        "no staff id shown"
    );
}

fn a_confidential_case_shows_in_the_timeline_only_once_closed(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut regulator = app.staff_signed_in(REGULATOR);
    let case_url = open_case(&mut regulator, "BlnBDI-geheim-1", ANNA_REF, true);
    assert_eq!(regulator.get(&case_url).status, 200);
    assert_eq!(
        regulator
            .get(&format!("{case_url}/report?format=json"))
            .status,
        200
    );
    assert!(supervisory_entries(&app).is_empty(), "held back while open");
    let mut anna = app.signed_in(ANNA);
    let report = anna.get("/reports/access?format=json").json();
    assert!(
        !report.to_string().contains("BlnBDI-geheim-1"),
        "not in her report either"
    );

    let closed = regulator.post_form(&format!("{case_url}/close"), &[]);
    assert_eq!(closed.status, 303);
    assert_eq!(
        closed.header("location").unwrap(),
        format!("{case_url}?notice=closed")
    );
    let entries = supervisory_entries(&app);
    // opened, viewed, downloaded, closed
    assert_eq!(entries.len(), 4, "{entries:#?}");
    assert!(entries.iter().all(|e| e["ticket"] == "BlnBDI-geheim-1"));
    let page = regulator.get(&case_url).body.replace("<!>", "");
    assert!(page.contains("Fall abgeschlossen"));
    assert!(!page.contains("/close\""), "no close form on a closed case");
}

fn a_regulator_never_reaches_a_subject_outside_their_cases(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut berlin = app.staff_signed_in(REGULATOR);
    let case_url = open_case(&mut berlin, CASE_REFERENCE, ANNA_REF, false);

    // A regulator of another authority, created by the admin.
    let mut admin = app.staff_signed_in(ADMIN);
    let created = admin.post_form(
        "/staff/admin/staff",
        &[
            ("email", "regulator.hamburg@einblick.example"),
            ("name", "Hanna Hamburg"),
            ("role", "regulator"),
            ("authority", "Hamburgische Beauftragte für Datenschutz"),
            ("password", "a long enough password"),
        ],
    );
    assert_eq!(created.status, 303, "{}", created.body);
    let mut hamburg = app.client();
    let signed_in = hamburg.post_form(
        "/staff/login",
        &[
            ("email", "regulator.hamburg@einblick.example"),
            ("password", "a long enough password"),
        ],
    );
    assert_eq!(
        signed_in.header("location").as_deref(),
        Some("/staff/regulator")
    );
    let before = supervisory_entries(&app).len();

    let list = hamburg.get("/staff/regulator").body.replace("<!>", "");
    assert!(
        !list.contains(CASE_REFERENCE),
        "another authority's case is not listed"
    );
    for path in [
        case_url.clone(),
        format!("{case_url}/report?format=json"),
        format!("{case_url}/report?format=pdf"),
        "/staff/regulator/cases/999999".into(),
        "/staff/regulator/cases/abc/report?format=json".into(),
    ] {
        assert_eq!(hamburg.get(&path).status, 404, "{path}");
    }
    assert_eq!(
        hamburg.post_form(&format!("{case_url}/close"), &[]).status,
        404
    );
    assert_eq!(
        supervisory_entries(&app).len(),
        before,
        "refusals leave no trace in Anna's timeline"
    );

    // Regulators never reach the dispute queue, cases or the customer side.
    assert_eq!(berlin.get("/staff").status, 403);
    assert_eq!(berlin.get("/staff/disputes/EB-ANNA-0RSN").status, 403);
    assert_eq!(berlin.get("/api/v1/me/access-events").status, 401);
    assert_eq!(berlin.get("/reports/access?format=json").status, 303);

    // Other staff roles reach no regulator case.
    for email in [ANALYST, LEAD, ADMIN] {
        let mut staff = app.staff_signed_in(email);
        assert_eq!(staff.get("/staff/regulator").status, 403, "{email}");
        assert_eq!(staff.get(&case_url).status, 403, "{email}");
        assert_eq!(
            staff.get(&format!("{case_url}/report?format=json")).status,
            403,
            "{email}"
        );
        assert_eq!(
            staff.post_form(&format!("{case_url}/close"), &[]).status,
            403,
            "{email}"
        );
        let refused = staff.post_form(
            "/staff/regulator/cases",
            &[
                ("reference", "x"),
                ("legal_basis", "x"),
                ("customer_ref", ANNA_REF),
            ],
        );
        assert_eq!(refused.status, 403, "{email}");
    }
    // A customer session is no staff session.
    let mut anna = app.signed_in(ANNA);
    let answer = anna.get(&format!("{case_url}/report?format=json"));
    assert_eq!(answer.status, 303);
    assert!(answer
        .header("location")
        .unwrap()
        .starts_with("/staff/login"));
    // Cross-origin posts are refused.
    let forged = berlin.post_form_with(
        &format!("{case_url}/close"),
        &[],
        &[("Origin", "https://evil.example")],
    );
    assert_eq!(forged.status, 403);
    assert!(
        berlin.get(&case_url).body.contains("/close"),
        "the case is still open"
    );
}

fn a_refused_case_comes_back_with_everything_typed(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut regulator = app.staff_signed_in(REGULATOR);
    let unknown = regulator.post_form(
        "/staff/regulator/cases",
        &[
            ("reference", "BlnBDI-7"),
            ("legal_basis", "Art. 58 DSGVO"),
            ("customer_ref", "C-999999"),
            ("from", "2026-01-01"),
            ("to", "2026-03-31"),
        ],
    );
    assert_eq!(unknown.status, 303);
    let location = unknown.header("location").unwrap();
    assert!(
        location.starts_with("/staff/regulator?error=customer_ref"),
        "{location}"
    );
    let form = regulator.get(&location).body.replace("<!>", "");
    for typed in [
        "value=\"BlnBDI-7\"",
        "value=\"Art. 58 DSGVO\"",
        "value=\"C-999999\"",
        "value=\"2026-03-31\"",
    ] {
        assert!(form.contains(typed), "{typed}");
    }
    assert!(form.contains("Zu dieser Kundennummer gibt es keine Person."));

    open_case(&mut regulator, "BlnBDI-7", ANNA_REF, false);
    let taken = regulator.post_form(
        "/staff/regulator/cases",
        &[
            ("reference", "BlnBDI-7"),
            ("legal_basis", "Art. 58 DSGVO"),
            ("customer_ref", ANNA_REF),
            ("from", "2026-01-01"),
            ("to", "2026-03-31"),
        ],
    );
    assert!(taken
        .header("location")
        .unwrap()
        .starts_with("/staff/regulator?error=reference_taken"));
    let reversed = regulator.post_form(
        "/staff/regulator/cases",
        &[
            ("reference", "BlnBDI-8"),
            ("legal_basis", "Art. 58 DSGVO"),
            ("customer_ref", ANNA_REF),
            ("from", "2026-04-01"),
            ("to", "2026-03-31"),
        ],
    );
    assert!(reversed
        .header("location")
        .unwrap()
        .starts_with("/staff/regulator?error=from"));
}
