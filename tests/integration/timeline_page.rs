use crate::both_backends;
use crate::helpers::*;

both_backends!(
    the_timeline_shows_roles_reasons_and_tickets_but_never_employees,
    each_entry_travels_once_as_escaped_html,
    the_timeline_needs_a_session,
    the_page_speaks_the_browsers_language_and_the_switch_persists,
    filters_and_show_older_work_as_plain_links,
    a_customer_without_accesses_sees_the_empty_state,
    a_bad_filter_value_gets_a_clear_error_page,
    the_start_page_leads_to_the_timeline,
    server_functions_answer_a_form_without_filters,
    the_page_names_its_files_by_content_and_never_preloads_the_webassembly,
    a_filter_seeks_the_customers_matching_entries_through_its_own_index,
);

fn the_timeline_shows_roles_reasons_and_tickets_but_never_employees(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut client = app.signed_in(ANNA);
    let page = client.get("/timeline");
    assert_eq!(page.status, 200);
    let html = &page.body;
    assert!(
        html.contains("<html lang=\"de\""),
        "German for a German browser"
    );
    assert!(html.contains("Zugriffe auf Ihre Daten"));
    assert!(
        html.contains("Anna Schmidt"),
        "the header names who is signed in"
    );
    assert!(
        html.contains("Dieses Protokoll umfasst Zugriffe seit dem 21. Mai 2025."),
        "coverage header"
    );
    assert!(html.contains("Support Console"), "systems covered");
    assert!(html.contains("Europe/Berlin"));
    assert_eq!(
        html.matches("data-entry-id=").count(),
        50,
        "first page has 50 entries"
    );
    assert!(html.contains("class=\"day-heading\""));
    assert!(
        html.contains("Was macht diese Rolle?"),
        "role description on demand"
    );
    assert!(html.contains("cursor="), "a show-older link");
    assert!(
        !html.contains("E-10"),
        "employee ids never reach the customer"
    );
    assert!(
        !html.contains("Support Berlin") && !html.contains("Warehouse Erfurt"),
        "nor teams"
    );
}

/// The page carries each entry once, as HTML the server rendered, and no data for a browser's
/// code (the page has none): nothing of the page is serialized into it a second time. That HTML
/// goes into the page as it is, so a reason typed with markup must arrive escaped.
fn each_entry_travels_once_as_escaped_html(backend: Backend) {
    let app = TestApp::spawn(backend);
    let occurred_at = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(5);
    let mut hostile = einblick::db::access_event::NewAccessEvent {
        source: "/test/feed".into(),
        event_id: "hostile-reason".into(),
        occurred_at,
        received_at: occurred_at,
        customer_ref: ANNA_REF.into(),
        employee_id: "E-9999".into(),
        role_code: "cs_agent_t1".into(),
        team: None,
        office_country: Some("DE".into()),
        data_category: "purchase_history".into(),
        action: "view".into(),
        reason_code: "customer_request".into(),
        reason_text: Some("Rückfrage <script>alert(1)</script> & \"mehr\"".into()),
        ticket_ref: Some("T-<b>1</b>".into()),
        system: Some("support-console".into()),
        content_sha256: String::new(),
        visible_from: None,
    };
    hostile.compute_content_hash();
    let hasher = einblick::transparency::leaf::chain_hasher(&app.keys);
    app.with_connection(|conn| einblick::db::access_event::insert_new(conn, &[hostile], &hasher))
        .expect("insert event");

    let mut client = app.signed_in(ANNA);
    let html = client.get("/timeline").body;
    assert_eq!(html.matches("data-entry-id=").count(), 50);
    assert!(!html.contains("__RESOLVED_RESOURCES["), "{html}");
    for field in [
        "entry_count",
        "next_cursor",
        "local_time",
        "role_description",
        "reason_text",
    ] {
        assert!(!html.contains(field), "{field} in the page's data");
    }
    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert!(!html.contains("<b>1</b>"), "{html}");
    assert_eq!(
        html.matches("Rückfrage &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;mehr&quot;")
            .count(),
        1,
        "the reason, escaped, once: {html}"
    );
    assert!(html.contains("T-&lt;b&gt;1&lt;/b&gt;"), "{html}");
}

fn the_timeline_needs_a_session(backend: Backend) {
    let app = TestApp::spawn(backend);
    let response = app.client().get("/timeline");
    assert_eq!(response.status, 302);
    assert!(response
        .header("location")
        .unwrap()
        .starts_with("/login?notice=session"));
}

fn the_page_speaks_the_browsers_language_and_the_switch_persists(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut client = app.signed_in(ANNA);
    client.accept_language = "en-GB,en;q=0.9".into();
    let english = client.get("/timeline");
    assert!(english.body.contains("<html lang=\"en\""));
    assert!(english.body.contains("Accesses to your data"));
    assert!(english.body.contains("What does this role do?"));

    let switched = client.post_form(
        "/language",
        &[("lang", "de"), ("return_to", "/timeline?reason=none")],
    );
    assert_eq!(switched.status, 303);
    assert_eq!(
        switched.header("location").as_deref(),
        Some("/timeline?reason=none")
    );
    assert_eq!(
        client.cookies.get("einblick_lang").map(String::as_str),
        Some("de")
    );
    let german = client.get("/timeline?reason=none");
    assert!(
        german.body.contains("<html lang=\"de\""),
        "the cookie beats Accept-Language"
    );
    assert!(german.body.contains("Kein Grund angegeben"));

    let escaped = client.post_form(
        "/language",
        &[("lang", "en"), ("return_to", "https://evil.example/")],
    );
    assert_eq!(escaped.header("location").as_deref(), Some("/"));
}

fn filters_and_show_older_work_as_plain_links(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut client = app.signed_in(ANNA);
    let filtered = client.get("/timeline?category=returns&from=2026-01-01&to=2026-06-30");
    assert_eq!(filtered.status, 200);
    let html = &filtered.body;
    assert!(html.matches("data-entry-id=").count() > 0);
    // Leptos may put hydration markers inside the span, so match on its opening only.
    assert_eq!(
        html.matches("class=\"entry-category\">Retouren").count(),
        html.matches("data-entry-id=").count(),
        "only returns entries"
    );
    assert!(
        html.contains("value=\"2026-01-01\""),
        "the form keeps the chosen period"
    );
    assert!(
        html.contains("<option value=\"returns\" selected"),
        "the form keeps the category"
    );

    let first = client.get("/timeline");
    let href = first
        .body
        .split("href=\"/timeline?cursor=")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("show-older link");
    let older = client.get(&format!("/timeline?cursor={href}"));
    assert_eq!(older.status, 200);
    assert!(older.body.contains("Zu den neuesten Einträgen"));
    let first_ids = entry_ids(&first.body);
    let older_ids = entry_ids(&older.body);
    assert_eq!(older_ids.len(), 50);
    assert!(
        first_ids.iter().all(|id| !older_ids.contains(id)),
        "pages do not overlap"
    );
    assert!(first_ids.last().unwrap().parse::<i64>().is_ok());
}

fn entry_ids(html: &str) -> Vec<String> {
    html.split("data-entry-id=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_owned)
        .collect()
}

fn a_customer_without_accesses_sees_the_empty_state(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut client = app.signed_in(LENA);
    let page = client.get("/timeline");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Noch keine Zugriffe"), "{}", page.body);
    let filtered = client.get("/timeline?reason=none");
    assert!(filtered.body.contains("Keine passenden Einträge"));
    assert!(filtered.body.contains("Filter zurücksetzen"));
}

fn a_bad_filter_value_gets_a_clear_error_page(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut client = app.signed_in(ANNA);
    let page = client.get("/timeline?from=yesterday");
    assert_eq!(page.status, 400);
    assert!(
        page.body
            .contains("Der Filter „from“ hat einen ungültigen Wert"),
        "{}",
        page.body
    );
    let cursor = client.get("/timeline?cursor=garbage");
    assert_eq!(cursor.status, 400);
    assert!(cursor.body.contains("Der Link zum Blättern ist ungültig"));
}

fn the_start_page_leads_to_the_timeline(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[], false);
    let response = app.client().get("/");
    assert_eq!(response.status, 302);
    assert_eq!(response.header("location").as_deref(), Some("/timeline"));
}

/// The browser's router asks for a page's data through its server function; without filters the
/// form it posts is empty (found when a hydrated page's "Zugriffe" link showed an error page).
fn server_functions_answer_a_form_without_filters(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut client = app.signed_in(ANNA);
    let mut entries_html = |fields: &[(&str, &str)]| -> String {
        let answer = client.post_form("/rpc/timeline", fields);
        assert_eq!(answer.status, 200, "{}", answer.body);
        let screen: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
        screen["Ok"]["entries_html"]
            .as_str()
            .unwrap_or_else(|| panic!("a timeline page: {}", answer.body))
            .to_owned()
    };
    assert_eq!(entries_html(&[]).matches("data-entry-id=").count(), 50);
    let filtered = entries_html(&[("query[reason]", "none")]);
    let reasons = filtered.matches("class=\"entry-reason").count();
    assert!(reasons > 0, "{filtered}");
    assert_eq!(
        filtered.matches("Kein Grund angegeben").count(),
        reasons,
        "only accesses without a reason"
    );

    let no_entries_chosen = client.post_form("/rpc/dispute-draft", &[]);
    assert_eq!(no_entries_chosen.status, 200, "{}", no_entries_chosen.body);
    let queue = app
        .staff_signed_in(ANALYST)
        .post_form("/rpc/staff-queue", &[]);
    assert_eq!(queue.status, 200, "{}", queue.body);
    assert!(queue.body.starts_with("{\"Ok\""), "{}", queue.body);
}

/// The site's files are linked by their content's hash and kept by browsers for good (the
/// scripts and WebAssembly files together under a hash over all of them, as they import one
/// another by relative name); the WebAssembly is fetched by the hydration script only, so a
/// browser without JavaScript never downloads it. The timeline, plain HTML, links no script at all.
fn the_page_names_its_files_by_content_and_never_preloads_the_webassembly(backend: Backend) {
    use std::io::Read;
    let site = tempfile_dir::TempDir::new(&format!("{}_site", unique_name()));
    let pkg = site.0.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let wasm: Vec<u8> = (0..100_000u32).map(|i| (i % 7) as u8).collect();
    std::fs::write(pkg.join("einblick.wasm"), &wasm).unwrap();
    std::fs::write(pkg.join("einblick.js"), "export default function init() {}").unwrap();
    std::fs::write(pkg.join("einblick.css"), "body { margin: 0 }").unwrap();
    let split_loader = "import { initSync } from \"./einblick.js\";";
    std::fs::write(pkg.join("__wasm_split.js"), split_loader).unwrap();
    let site_root = site.0.display().to_string();
    let app = TestApp::spawn_with(backend, &[("LEPTOS_SITE_ROOT", &site_root)], true);
    let mut client = app.signed_in(ANNA);

    let timeline = client.get("/timeline");
    assert_eq!(timeline.status, 200);
    assert!(timeline.body.contains("data-browser-code=\"none\""));
    assert!(timeline
        .body
        .contains("<link rel=\"stylesheet\" href=\"/pkg/einblick."));
    assert_eq!(
        timeline.body.matches("/pkg/").count(),
        1,
        "the stylesheet only: {}",
        timeline.body
    );
    assert!(!timeline.body.contains(".wasm"));
    assert!(!timeline.body.contains("type=\"module\""));

    let page = client.get("/disputes");
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("data-browser-code"));
    let linked = |extension: &str| -> String {
        page.body
            .match_indices("/pkg/")
            .map(|(at, _)| {
                let rest = &page.body[at..];
                rest[..rest.find(['"', '&', '\'']).unwrap()].to_owned()
            })
            .find(|url| url.ends_with(extension))
            .unwrap_or_else(|| panic!("a {extension} file in {}", page.body))
    };
    let stylesheet = linked(".css");
    let script = linked(".js");
    let wasm_url = linked(".wasm");
    let is_hash = |hash: &str| hash.len() == 20 && hash.chars().all(|c| c.is_ascii_hexdigit());
    assert!(
        is_hash(stylesheet.rsplit('.').nth(1).unwrap()),
        "{stylesheet}"
    );
    let build = script.split('/').nth(2).unwrap();
    assert!(is_hash(build), "{script}");
    assert_eq!(script, format!("/pkg/{build}/einblick.js"));
    assert_eq!(wasm_url, format!("/pkg/{build}/einblick.wasm"));
    assert!(page
        .body
        .contains(&format!("<link rel=\"stylesheet\" href=\"{stylesheet}\"")));
    assert!(page
        .body
        .contains(&format!("<link rel=\"modulepreload\" href=\"{script}\"")));
    assert!(!page.body.contains("rel=\"preload\""), "{}", page.body);
    assert_eq!(
        page.body.matches(".wasm").count(),
        1,
        "only the script names it"
    );

    let kept_for_good = client.get_with(&wasm_url, &[("Accept-Encoding", "gzip, br")]);
    assert_eq!(kept_for_good.status, 200);
    assert_eq!(
        kept_for_good.header("cache-control").as_deref(),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(
        kept_for_good.header("content-type").as_deref(),
        Some("application/wasm")
    );
    assert_eq!(
        kept_for_good.header("content-encoding").as_deref(),
        Some("br")
    );
    let mut unpacked = Vec::new();
    brotli::Decompressor::new(&kept_for_good.bytes[..], 4096)
        .read_to_end(&mut unpacked)
        .unwrap();
    assert_eq!(unpacked, wasm);

    // The test client unpacks gzip itself (and drops the header): what arrives is the file.
    let gzipped = client.get_with(&wasm_url, &[("Accept-Encoding", "gzip")]);
    assert_eq!(gzipped.status, 200);
    assert_eq!(gzipped.bytes, wasm);
    // Nothing is compressed anew per request, whatever the browser asks for.
    let not_ours = client.get_with(&wasm_url, &[("Accept-Encoding", "zstd, deflate")]);
    assert_eq!(
        not_ours.header("content-encoding").as_deref(),
        Some("identity")
    );
    assert_eq!(not_ours.bytes, wasm);
    let plain = client.get_with(&script, &[("Accept-Encoding", "identity")]);
    assert_eq!(plain.body, "export default function init() {}");

    let under_plain_name = client.get_with("/pkg/einblick.wasm", &[("Accept-Encoding", "br")]);
    assert_eq!(under_plain_name.status, 200);
    assert_eq!(
        under_plain_name.header("content-encoding").as_deref(),
        Some("br")
    );
    assert_eq!(under_plain_name.bytes, kept_for_good.bytes);
    assert_eq!(
        under_plain_name.header("cache-control").as_deref(),
        Some("no-cache")
    );
    let other_hash = client.get("/pkg/00000000000000000000/einblick.wasm");
    assert_eq!(other_hash.status, 404);
    // The split loader sits beside the main script, so its relative import finds the very
    // module the page loaded, not a second copy.
    let loader = client.get(&format!("/pkg/{build}/__wasm_split.js"));
    assert_eq!(loader.status, 200);
    assert_eq!(loader.body, split_loader);
    assert_eq!(
        loader.header("cache-control").as_deref(),
        Some("public, max-age=31536000, immutable")
    );
}

/// The plan for a customer's timeline filtered by reason, role or data category uses the index
/// for that filter: it reads the matching entries only, whatever else the customer has. The
/// query is the access part of `db::access_event::explained_timeline_page`'s, written out (its
/// conditions and order; the page's reads also bound `occurred_at`, which only narrows the months
/// they look at, and join each entry's judgement by its primary key).
fn a_filter_seeks_the_customers_matching_entries_through_its_own_index(backend: Backend) {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct PostgresPlanLine {
        #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
        line: String,
    }
    #[derive(QueryableByName)]
    struct SqlitePlanLine {
        #[diesel(sql_type = diesel::sql_types::Text)]
        detail: String,
    }
    let app = TestApp::spawn(backend);
    for (column, index) in [
        ("reason_code", "access_events_timeline_reason"),
        ("role_code", "access_events_timeline_role"),
        ("data_category", "access_events_timeline_category"),
    ] {
        let query = format!(
            "SELECT id FROM access_events WHERE customer_ref = 'C-100042' \
             AND (visible_from IS NULL OR visible_from <= '2026-12-01 00:00:00') \
             AND {column} = 'rare' ORDER BY occurred_at DESC, id DESC LIMIT 51"
        );
        let plan = app.with_connection(|conn| match backend {
            Backend::Postgres => conn.transaction(|conn| {
                // The demo data is small enough for a scan of the whole table; the question is
                // which index serves the filter where a scan is no option. LOCAL: the
                // connection goes back to the server's pool. The monthly partitions are
                // planned one by one, each by its statistics, which autovacuum would gather
                // as they fill.
                conn.batch_execute(
                    "ANALYZE access_events; \
                     SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off",
                )?;
                diesel::sql_query(format!("EXPLAIN {query}"))
                    .load::<PostgresPlanLine>(conn)
                    .map(|lines| lines.into_iter().map(|l| l.line).collect::<Vec<_>>())
            }),
            Backend::Sqlite => diesel::sql_query(format!("EXPLAIN QUERY PLAN {query}"))
                .load::<SqlitePlanLine>(conn)
                .map(|lines| lines.into_iter().map(|l| l.detail).collect::<Vec<_>>()),
        });
        let plan = plan.unwrap().join("\n");
        match backend {
            // Each partition has its own copy of the index, named after the partition and the
            // columns, and every one of them is searched by the filter's value.
            Backend::Postgres => {
                assert!(
                    plan.contains(&format!("customer_ref_{column}")),
                    "{column}: {plan}"
                );
                assert!(
                    plan.lines()
                        .filter(|line| line.contains("Index Cond:"))
                        .all(|line| line.contains(&format!("{column} = 'rare'"))),
                    "{column}: {plan}"
                );
            }
            Backend::Sqlite => assert!(plan.contains(index), "{column}: {plan}"),
        }
        // Newest first straight from the index: no sort step (PostgreSQL's "Sort" node; its
        // "Merge Append" of the partitions' index scans keeps their order: "Sort Key"), SQLite's
        // "USE TEMP B-TREE FOR ORDER BY").
        assert!(!plan.contains("Sort  ("), "{column}: {plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{column}: {plan}");
    }
}
