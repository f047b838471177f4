//! Customer access reports: content against known data, every format valid (JSON against its
//! schema, CSV through Python's csv module, PDF rendered by poppler), the checksum, the form,
//! and that a report never holds another customer's accesses.

use chrono::NaiveDateTime;
use einblick::db::access_event::{self, NewAccessEvent};
use serde_json::Value;

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    the_report_holds_exactly_the_customers_accesses_in_the_period,
    every_format_is_valid_and_carries_its_checksum,
    the_rights_section_is_there_in_both_languages,
    a_bad_period_goes_back_to_the_form_with_what_was_typed,
    the_report_needs_a_customer_session
);

const BEN_REF: &str = "C-100043";
/// Commas, quotes, a line break and markup: everything a CSV or HTML writer can get wrong.
const HOSTILE: &str = "Rückfrage, \"dringend\"\nzweite Zeile <script>alert(1)</script>";
const JANUARY: &str = "from=2021-01-01&to=2021-01-31";

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
}

fn event(
    customer_ref: &str,
    id: &str,
    occurred_at: &str,
    reason_text: Option<&str>,
) -> NewAccessEvent {
    let occurred_at = at(occurred_at);
    let mut event = NewAccessEvent {
        source: "/crm/support-console".into(),
        event_id: id.into(),
        occurred_at,
        received_at: occurred_at,
        customer_ref: customer_ref.into(),
        employee_id: "E-7781".into(),
        role_code: "cs_agent_t1".into(),
        team: Some("Support Berlin".into()),
        office_country: Some("DE".into()),
        data_category: "purchase_history".into(),
        action: "view".into(),
        reason_code: "customer_request".into(),
        reason_text: reason_text.map(str::to_owned),
        ticket_ref: Some(format!("T-{id}")),
        system: Some("support-console".into()),
        content_sha256: String::new(),
        visible_from: None,
    };
    event.compute_content_hash();
    event
}

/// Anna: two accesses in January 2021 (Berlin time), one just before and one just after it,
/// and one embargoed; Ben: one access in the same January.
fn seed_january(app: &TestApp) {
    let mut embargoed = event(ANNA_REF, "r-embargo", "2021-01-15 10:00:00", None);
    embargoed.visible_from = Some(at("2099-01-01 00:00:00"));
    let events = vec![
        event(ANNA_REF, "r-before", "2020-12-31 22:59:00", None),
        event(ANNA_REF, "r-first", "2020-12-31 23:00:00", Some(HOSTILE)),
        event(ANNA_REF, "r-last", "2021-01-31 22:59:59", None),
        event(ANNA_REF, "r-after", "2021-01-31 23:00:00", None),
        embargoed,
        event(BEN_REF, "r-ben", "2021-01-10 09:00:00", Some("Ben only")),
    ];
    let hasher = einblick::transparency::leaf::chain_hasher(&app.keys);
    app.with_connection(|conn| access_event::insert_new(conn, &events, &hasher))
        .expect("insert events");
}

fn report_json(client: &mut Client, query: &str) -> Value {
    let response = client.get(&format!("/reports/access?{query}&format=json"));
    assert_eq!(response.status, 200, "{}", response.body);
    response.json()
}

fn the_report_holds_exactly_the_customers_accesses_in_the_period(backend: Backend) {
    let app = TestApp::spawn(backend);
    seed_january(&app);
    let mut anna = app.signed_in(ANNA);
    let report = report_json(&mut anna, &format!("{JANUARY}&lang=en"));

    let accesses = report["accesses"].as_array().unwrap();
    let tickets: Vec<&str> = accesses
        .iter()
        .map(|a| a["ticket"].as_str().unwrap())
        .collect();
    // Whole days on Anna's calendar (Europe/Berlin): 23:00 UTC on 31 December is 1 January.
    assert_eq!(tickets, ["T-r-first", "T-r-last"]);
    let first = &accesses[0];
    assert_eq!(first["occurred_at"], "2020-12-31T23:00:00Z");
    assert_eq!(first["local_time"], "2021-01-01 00:00");
    assert_eq!(first["role"]["code"], "cs_agent_t1");
    assert_eq!(first["data_category"]["code"], "purchase_history");
    assert_eq!(first["action"]["label"], "Viewed");
    assert_eq!(first["reason"]["code"], "customer_request");
    assert_eq!(first["reason_text"], HOSTILE);
    assert!(!first["role_description"].as_str().unwrap().is_empty());
    // The employee stays out of the customer's report, as on the timeline.
    assert!(!report.to_string().contains("E-7781"));
    assert!(!report.to_string().contains("Ben only"));

    assert_eq!(report["period"]["from"], "2021-01-01");
    assert_eq!(report["period"]["to"], "2021-01-31");
    assert_eq!(report["period"]["time_zone"], "Europe/Berlin");
    assert_eq!(report["subject"]["customer_ref"], ANNA_REF);
    assert!(!report["systems"].as_array().unwrap().is_empty());
    assert_eq!(
        report["information"]["purposes"].as_array().unwrap().len(),
        1
    );
    let disputes = report["disputes"].as_array().unwrap();
    assert!(disputes
        .iter()
        .any(|d| d["reference"] == "EB-ANNA-0RSN" && d["status"]["code"] == "in_review"));

    // Ben's report of the same period holds his access only.
    let mut ben = app.signed_in(BEN);
    let his = report_json(&mut ben, JANUARY);
    let his_tickets: Vec<&str> = his["accesses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["ticket"].as_str().unwrap())
        .collect();
    assert_eq!(his_tickets, ["T-r-ben"]);
    assert!(!his.to_string().contains("EB-ANNA-0RSN"));
}

fn every_format_is_valid_and_carries_its_checksum(backend: Backend) {
    let app = TestApp::spawn(backend);
    seed_january(&app);
    let mut anna = app.signed_in(ANNA);
    let work = tempfile_dir::TempDir::new(&format!("{}_report", unique_name()));

    // JSON: valid against the published schema, and its checksum recomputes.
    let json = anna.get(&format!("/reports/access?{JANUARY}&format=json"));
    assert_eq!(json.status, 200);
    assert!(json
        .header("content-disposition")
        .unwrap()
        .contains("einblick-access-report-2021-01-01-2021-01-31.json"));
    let document: Value = json.json();
    let sha = document["content_sha256"].as_str().unwrap().to_owned();
    let mut without = document.clone();
    without.as_object_mut().unwrap().remove("content_sha256");
    assert_eq!(einblick::canonical_json::sha256_hex(&without).unwrap(), sha);
    // It names the signed checkpoint that holds every access listed: the latest one.
    let checkpoint = app.client().get("/log/checkpoint").body;
    let lines: Vec<&str> = checkpoint.lines().collect();
    assert_eq!(document["log_checkpoint"]["origin"], lines[0]);
    assert_eq!(
        document["log_checkpoint"]["tree_size"].to_string(),
        lines[1]
    );
    assert_eq!(document["log_checkpoint"]["root_hash"], lines[2]);
    let schema = app.client().get("/api/v1/schemas/access-report.json");
    assert_eq!(schema.status, 200);
    let (schema_path, json_path) = (work.0.join("schema.json"), work.0.join("report.json"));
    std::fs::write(&schema_path, &schema.bytes).unwrap();
    std::fs::write(&json_path, &json.bytes).unwrap();
    python(&format!(
        "import json, jsonschema\n\
         schema = json.load(open({schema:?}))\n\
         jsonschema.Draft202012Validator.check_schema(schema)\n\
         jsonschema.Draft202012Validator(schema).validate(json.load(open({report:?})))",
        schema = schema_path.display().to_string(),
        report = json_path.display().to_string(),
    ));

    // CSV: Python's csv module reads back exactly what was stored.
    let csv = anna.get(&format!("/reports/access?{JANUARY}&format=csv"));
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let csv_path = work.0.join("report.csv");
    std::fs::write(&csv_path, &csv.bytes).unwrap();
    let parsed: Value = serde_json::from_str(&python(&format!(
        "import csv, json\n\
         rows = list(csv.reader(open({path:?}, newline='', encoding='utf-8-sig')))\n\
         print(json.dumps(rows))",
        path = csv_path.display().to_string(),
    )))
    .unwrap();
    let rows = parsed.as_array().unwrap();
    let preamble_value = |field: &str| {
        rows.iter()
            .find(|r| r[0] == field)
            .map(|r| r[1].as_str().unwrap().to_owned())
            .unwrap()
    };
    // Each download is generated anew (its time is part of the content), so each format is
    // checked against the checksum its own response names.
    let csv_sha = csv.header("x-content-sha256").unwrap();
    assert_eq!(preamble_value("content_sha256"), csv_sha);
    assert_eq!(preamble_value("accesses"), "2");
    let header = rows.iter().position(|r| r[0] == "occurred_at_utc").unwrap();
    let data: Vec<&Value> = rows[header + 1..].iter().collect();
    assert_eq!(data.len(), 2);
    assert_eq!(
        data[0][7], HOSTILE,
        "commas, quotes and line breaks survive"
    );
    assert_eq!(data[0][8], "T-r-first");

    // HTML: print-ready, escaped, styled inline under its own strict policy.
    let html = anna.get(&format!("/reports/access?{JANUARY}&format=html&lang=de"));
    assert_eq!(html.status, 200);
    assert!(html
        .header("content-disposition")
        .unwrap()
        .starts_with("inline"));
    assert!(html
        .header("content-security-policy")
        .unwrap()
        .starts_with("default-src 'none'"));
    assert!(html
        .body
        .contains(&html.header("x-content-sha256").unwrap()));
    assert!(html.body.contains("2021-01-01 – 2021-01-31"));
    assert!(!html.body.contains("<script>alert(1)"));
    assert!(html.body.contains("&#60;script&#62;alert(1)"));

    // PDF: poppler renders page 1, it is not blank, and it names the period.
    let pdf = anna.get(&format!("/reports/access?{JANUARY}&format=pdf&lang=de"));
    assert_eq!(pdf.status, 200);
    assert_eq!(
        pdf.header("content-type").as_deref(),
        Some("application/pdf")
    );
    let pdf_sha = pdf.header("x-content-sha256").unwrap();
    let pdf_path = work.0.join("report.pdf");
    std::fs::write(&pdf_path, &pdf.bytes).unwrap();
    let page_text = run(
        "pdftotext",
        &["-f", "1", "-l", "1", "-enc", "UTF-8", path(&pdf_path), "-"],
    );
    assert!(page_text.contains("2021-01-01 – 2021-01-31"), "{page_text}");
    assert!(
        page_text.contains("Auskunft über Zugriffe auf Ihre Daten"),
        "{page_text}"
    );
    assert!(page_text.contains(ANNA_REF), "{page_text}");
    assert!(
        page_text.contains(&pdf_sha[..16]),
        "the footer names the checksum"
    );
    let image_prefix = work.0.join("page");
    run(
        "pdftoppm",
        &[
            "-f",
            "1",
            "-l",
            "1",
            "-r",
            "40",
            "-gray",
            path(&pdf_path),
            path(&image_prefix),
        ],
    );
    let image = std::fs::read_dir(&work.0)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pgm"))
        .expect("page 1 rendered");
    let dark = dark_pixel_share(&std::fs::read(image).unwrap());
    assert!(dark > 0.005, "page 1 is blank ({dark})");
}

fn the_rights_section_is_there_in_both_languages(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut anna = app.signed_in(ANNA);
    for (lang, rights, complaint, authority) in [
        (
            "de",
            ["Berichtigung", "Löschung", "Einschränkung", "Widerspruch"],
            "Beschwerde (Art. 77 DSGVO)",
            "Berliner Beauftragte für Datenschutz",
        ),
        (
            "en",
            ["Rectification", "Erasure", "Restriction", "Objection"],
            "Complaint (Art. 77 GDPR)",
            "Berlin Commissioner for Data Protection",
        ),
    ] {
        let report = report_json(&mut anna, &format!("lang={lang}"));
        assert_eq!(report["language"], lang);
        let titles: Vec<&str> = report["information"]["rights"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["title"].as_str().unwrap())
            .collect();
        for right in rights {
            assert!(
                titles.iter().any(|t| t.starts_with(right)),
                "{lang}: {right} in {titles:?}"
            );
        }
        assert!(titles.contains(&complaint), "{lang}: {titles:?}");
        assert!(report["information"]["supervisory_authority"]
            .as_str()
            .unwrap()
            .starts_with(authority));
        for field in ["retention", "source", "recipients_note"] {
            assert!(!report["information"][field].as_str().unwrap().is_empty());
        }
        // No retention policy set: the report does not promise one.
        let kept = report["information"]["retention"].as_str().unwrap();
        assert!(
            kept.contains("nicht automatisch gelöscht")
                || kept.contains("not removed automatically"),
            "{kept}"
        );
        let html = anna.get(&format!("/reports/access?format=html&lang={lang}"));
        assert!(
            html.body.contains(complaint),
            "{lang} HTML names the right to complain"
        );
    }
}

fn a_bad_period_goes_back_to_the_form_with_what_was_typed(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut anna = app.signed_in(ANNA);
    let form = anna.get("/reports");
    assert_eq!(form.status, 200);
    let body = form.body.replace("<!>", "");
    for field in [
        "name=\"from\"",
        "name=\"to\"",
        "name=\"format\"",
        "action=\"/reports/access\"",
    ] {
        assert!(body.contains(field), "{field}");
    }

    let reversed = anna.get("/reports/access?from=2021-02-01&to=2021-01-01&format=pdf");
    assert_eq!(reversed.status, 303);
    let location = reversed.header("location").unwrap();
    assert_eq!(
        location,
        "/reports?error=from&from=2021-02-01&to=2021-01-01"
    );
    let page = anna.get(&location).body.replace("<!>", "");
    assert!(
        page.contains("value=\"2021-02-01\""),
        "what was typed stays"
    );
    assert!(page.contains("role=\"alert\""));
    assert!(page.contains("nicht nach dem Enddatum"));

    let garbled = anna.get("/reports/access?from=01.01.2021&format=pdf");
    assert!(garbled
        .header("location")
        .unwrap()
        .starts_with("/reports?error=from"));
    let bad_format = anna.get("/reports/access?format=docx");
    assert!(bad_format
        .header("location")
        .unwrap()
        .starts_with("/reports?error=format"));
}

fn the_report_needs_a_customer_session(backend: Backend) {
    let app = TestApp::spawn(backend);
    let response = app.client().get("/reports/access?format=json");
    assert_eq!(response.status, 303);
    assert_eq!(
        response.header("location").as_deref(),
        Some("/login?notice=session&next=/reports")
    );
    // A staff session is no customer session.
    let mut lead = app.staff_signed_in(LEAD);
    assert_eq!(lead.get("/reports/access?format=json").status, 303);
    let page = app.client().get("/reports");
    assert!(matches!(page.status, 302 | 303), "{}", page.status);
}

fn path(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

fn python(script: &str) -> String {
    run("python3", &["-c", script])
}

/// Share of pixels darker than mid-grey in a binary PGM (P5) image.
fn dark_pixel_share(pgm: &[u8]) -> f64 {
    // Header: "P5", width, height, maxval, each separated by whitespace, then the pixels.
    let mut fields = 0;
    let mut index = 0;
    while fields < 4 {
        while pgm[index].is_ascii_whitespace() {
            index += 1;
        }
        while !pgm[index].is_ascii_whitespace() {
            index += 1;
        }
        fields += 1;
    }
    let pixels = &pgm[index + 1..];
    let dark = pixels.iter().filter(|&&p| p < 128).count();
    dark as f64 / pixels.len() as f64
}
