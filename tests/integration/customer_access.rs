//! Real customers get in: portal sessions opened by the shop's backend, the provisioning feed
//! and import, and set-password links (issue 21). Sign-in through the customer identity
//! provider is tested with a real OpenID provider in `oidc.rs`.

use diesel::prelude::*;
use einblick::db::schema::{customers, password_links, portal_links, sessions};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

const SHOP: &str = "https://shop.example.com";
const SOURCE: &str = "/shop/customers";

both_backends!(
    a_portal_session_signs_a_new_customer_in_once,
    portal_sessions_refuse_wrong_tokens_origins_and_paths,
    an_expired_portal_link_signs_nobody_in,
    a_portal_link_can_lead_to_the_dispute_form,
    the_provisioning_feed_is_idempotent_and_keeps_the_newest_description,
    a_reset_link_sets_a_password_once,
    the_reset_form_does_not_tell_whether_an_account_exists,
    reset_links_are_rate_limited_per_account,
    the_sign_in_page_offers_only_the_configured_ways,
    a_changed_address_retires_open_links,
);

fn app_for_shop(backend: Backend) -> TestApp {
    TestApp::spawn_with(
        backend,
        &[
            ("EINBLICK_RETURN_ORIGINS", SHOP),
            ("EINBLICK_CUSTOMER_SIGN_IN", "portal,password"),
            ("EINBLICK_REFERENCE_SOURCES", "/shop/customers"),
        ],
        true,
    )
}

fn service_token(app: &TestApp) -> (i64, String) {
    app.with_connection(|conn| {
        einblick::auth::service_token::create(conn, "shop", chrono::Utc::now().naive_utc())
    })
    .map(|(id, token)| (id.0, token))
    .unwrap()
}

fn open_portal(app: &TestApp, token: &str, body: &Value) -> Response {
    app.client().post_raw(
        "/api/v1/portal-sessions",
        "application/json",
        body.to_string().as_bytes(),
        &[("Authorization", &format!("Bearer {token}"))],
    )
}

/// The path of a portal URL (the tests reach the server on its own address).
fn path_of(url: &str) -> String {
    let parsed = url::Url::parse(url).unwrap();
    parsed.path().to_owned()
}

fn session_count(app: &TestApp) -> i64 {
    app.with_connection(|conn| sessions::table.count().get_result(conn))
        .unwrap()
}

fn a_portal_session_signs_a_new_customer_in_once(backend: Backend) {
    let app = app_for_shop(backend);
    let (_, token) = service_token(&app);
    // The feed knew this customer before Einblick did.
    let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 2)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    insert_event(
        &app,
        "C-900001",
        "evt-new-customer-1",
        "cs_agent_t1",
        at,
        None,
    );
    insert_event(
        &app,
        "C-900002",
        "evt-someone-else",
        "cs_agent_t1",
        at,
        None,
    );

    let response = open_portal(
        &app,
        &token,
        &json!({
            "customer_ref": "C-900001", "email": "new.customer@example.org", "name": "Nora Neu",
            "locale": "en-GB", "time_zone": "Europe/Vienna",
            "return_url": "https://shop.example.com/account?tab=privacy"
        }),
    );
    assert_eq!(response.status, 201, "{}", response.body);
    let created = response.json();
    let url = created["url"].as_str().unwrap();
    assert!(url.contains("/portal/enter/"), "{url}");
    let expires =
        chrono::DateTime::parse_from_rfc3339(created["expires_at"].as_str().unwrap()).unwrap();
    let left = expires
        .signed_duration_since(chrono::Utc::now())
        .num_seconds();
    assert!((50..=61).contains(&left), "expires in {left} s");
    // Nothing is made before the link is used.
    let known = |app: &TestApp| {
        app.with_connection(|conn| {
            customers::table
                .filter(customers::customer_ref.eq("C-900001"))
                .count()
                .get_result::<i64>(conn)
        })
        .unwrap()
    };
    assert_eq!(known(&app), 0);

    let mut browser = app.client();
    let entered = browser.get(&path_of(url));
    assert_eq!(entered.status, 303, "{}", entered.body);
    assert_eq!(entered.header("location").as_deref(), Some("/timeline"));
    assert_eq!(known(&app), 1);
    let (name, lang, zone, email): (String, String, String, Option<String>) = app
        .with_connection(|conn| {
            customers::table
                .filter(customers::customer_ref.eq("C-900001"))
                .select((
                    customers::display_name,
                    customers::lang,
                    customers::time_zone,
                    customers::email,
                ))
                .first(conn)
        })
        .unwrap();
    assert_eq!(
        (name.as_str(), lang.as_str(), zone.as_str()),
        ("Nora Neu", "en", "Europe/Vienna")
    );
    assert_eq!(email.as_deref(), Some("new.customer@example.org"));
    // Their own events, and nobody else's.
    let items = all_api_items(&mut browser, "");
    let ids: Vec<&str> = items.iter().filter_map(|i| i["ticket"].as_str()).collect();
    assert_eq!(ids, ["T-evt-new-customer-1"]);
    // The page speaks the shop's language and leads back to the shop.
    let page = browser.get("/timeline");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Back to your account"), "no way back");
    assert!(page
        .body
        .contains("href=\"https://shop.example.com/account?tab=privacy\""));

    // The same link again: a clear page, and no session.
    let sessions_before = session_count(&app);
    let mut other = app.client();
    let again = other.get(&path_of(url));
    assert_eq!(again.status, 410);
    assert!(again.body.contains("link"), "{}", again.body);
    assert!(again.headers_named("set-cookie").is_empty());
    assert_eq!(session_count(&app), sessions_before);
    assert_eq!(other.get("/api/v1/me/access-events").status, 401);

    // A second visit from the shop updates what changed.
    let response = open_portal(
        &app,
        &token,
        &json!({"customer_ref": "C-900001", "name": "Nora Neumann", "locale": "de",
                "return_url": "https://shop.example.com/account"}),
    );
    let url = response.json()["url"].as_str().unwrap().to_owned();
    assert_eq!(app.client().get(&path_of(&url)).status, 303);
    let (name, lang): (String, String) = app
        .with_connection(|conn| {
            customers::table
                .filter(customers::customer_ref.eq("C-900001"))
                .select((customers::display_name, customers::lang))
                .first(conn)
        })
        .unwrap();
    assert_eq!((name.as_str(), lang.as_str()), ("Nora Neumann", "de"));
}

fn portal_sessions_refuse_wrong_tokens_origins_and_paths(backend: Backend) {
    let app = app_for_shop(backend);
    let (id, token) = service_token(&app);
    let body =
        json!({"customer_ref": "C-900003", "return_url": "https://shop.example.com/account"});

    let wrong = open_portal(&app, "ebs_not-a-token", &body);
    assert_eq!(wrong.status, 401);
    assert_eq!(
        wrong.json()["error"]["code"],
        "unauthorized",
        "{}",
        wrong.body
    );
    let none = app.client().post_raw(
        "/api/v1/portal-sessions",
        "application/json",
        body.to_string().as_bytes(),
        &[],
    );
    assert_eq!(none.status, 401);

    for (return_url, code) in [
        (
            "https://shop.example.com.evil.example/account",
            "return_url_not_allowed",
        ),
        ("http://shop.example.com/account", "return_url_not_allowed"),
        ("javascript:alert(1)", "invalid_return_url"),
    ] {
        let refused = open_portal(
            &app,
            &token,
            &json!({"customer_ref": "C-900003", "return_url": return_url}),
        );
        assert_eq!(refused.status, 400, "{return_url}: {}", refused.body);
        assert_eq!(refused.json()["error"]["code"], code, "{}", refused.body);
        assert!(refused.body.contains("EINBLICK_RETURN_ORIGINS") || code == "invalid_return_url");
    }
    for path in [
        "/staff",
        "//evil.example/timeline",
        "https://evil.example/timeline",
    ] {
        let refused = open_portal(
            &app,
            &token,
            &json!({"customer_ref": "C-900003", "return_url": "https://shop.example.com/", "path": path}),
        );
        assert_eq!(refused.status, 400, "{path}");
        assert_eq!(refused.json()["error"]["code"], "invalid_path");
    }
    for (bad, code) in [
        (
            json!({"return_url": "https://shop.example.com/"}),
            "invalid_json",
        ),
        (
            json!({"customer_ref": "C 1", "return_url": "https://shop.example.com/"}),
            "invalid_customer",
        ),
        (
            json!({"customer_ref": "C-1", "locale": "fr", "return_url": "https://shop.example.com/"}),
            "invalid_customer",
        ),
        (
            json!({"customer_ref": "C-1", "retrun_url": "https://shop.example.com/"}),
            "invalid_json",
        ),
    ] {
        let refused = open_portal(&app, &token, &bad);
        assert_eq!(refused.status, 400, "{bad}");
        assert_eq!(refused.json()["error"]["code"], code, "{}", refused.body);
    }
    assert_eq!(
        app.with_connection(|conn| portal_links::table.count().get_result::<i64>(conn))
            .unwrap(),
        0,
        "a refused request made a link"
    );

    // Revoked: stops working at once.
    assert_eq!(open_portal(&app, &token, &body).status, 201);
    app.with_connection(|conn| {
        einblick::db::service_token::revoke(
            conn,
            einblick::domain::ServiceTokenId(id),
            chrono::Utc::now().naive_utc(),
        )
    })
    .unwrap();
    let revoked = open_portal(&app, &token, &body);
    assert_eq!(revoked.status, 401);
    assert!(revoked.body.contains("revoked"), "{}", revoked.body);
}

fn an_expired_portal_link_signs_nobody_in(backend: Backend) {
    let app = app_for_shop(backend);
    let (_, token) = service_token(&app);
    let response = open_portal(
        &app,
        &token,
        &json!({"customer_ref": "C-900004", "return_url": "https://shop.example.com/"}),
    );
    let url = response.json()["url"].as_str().unwrap().to_owned();
    // Sixty-one seconds later, as far as the link is concerned.
    app.with_connection(|conn| {
        diesel::update(portal_links::table)
            .set(
                portal_links::expires_at
                    .eq(chrono::Utc::now().naive_utc() - chrono::Duration::seconds(1)),
            )
            .execute(conn)
    })
    .unwrap();
    let mut browser = app.client();
    let late = browser.get(&path_of(&url));
    assert_eq!(late.status, 410);
    assert!(late.headers_named("set-cookie").is_empty());
    assert_eq!(browser.get("/api/v1/me/access-events").status, 401);
    let made: i64 = app
        .with_connection(|conn| {
            customers::table
                .filter(customers::customer_ref.eq("C-900004"))
                .count()
                .get_result(conn)
        })
        .unwrap();
    assert_eq!(made, 0, "an expired link provisioned a customer");
}

fn a_portal_link_can_lead_to_the_dispute_form(backend: Backend) {
    let app = app_for_shop(backend);
    let (_, token) = service_token(&app);
    let response = open_portal(
        &app,
        &token,
        &json!({"customer_ref": ANNA_REF, "return_url": "https://shop.example.com/",
                "path": "/disputes/new?events=1"}),
    );
    assert_eq!(response.status, 201, "{}", response.body);
    let url = response.json()["url"].as_str().unwrap().to_owned();
    let mut anna = app.client();
    let entered = anna.get(&path_of(&url));
    assert_eq!(
        entered.header("location").as_deref(),
        Some("/disputes/new?events=1")
    );
    // Anna's existing account, not a new one; her demo password still works.
    let count: i64 = app
        .with_connection(|conn| {
            customers::table
                .filter(customers::customer_ref.eq(ANNA_REF))
                .count()
                .get_result(conn)
        })
        .unwrap();
    assert_eq!(count, 1);
    assert_eq!(anna.get("/api/v1/me/access-events?limit=1").status, 200);
    app.signed_in(ANNA);
}

fn customer_event(id: &str, time: &str, data: Value) -> Value {
    json!({
        "specversion": "1.0", "id": id, "source": SOURCE, "type": "einblick.customer.v1",
        "time": time, "datacontenttype": "application/json", "data": data
    })
}

fn the_provisioning_feed_is_idempotent_and_keeps_the_newest_description(backend: Backend) {
    let app = app_for_shop(backend);
    let sources = vec![SOURCE.to_owned()];
    let feed_token = app
        .with_connection(|conn| {
            einblick::ingest::token::create(conn, "shop", &sources, chrono::Utc::now().naive_utc())
        })
        .unwrap()
        .1;
    let send = |event: &Value| {
        let response = app.client().post_raw(
            "/api/v1/feed/events",
            "application/cloudevents+json",
            event.to_string().as_bytes(),
            &[("Authorization", &format!("Bearer {feed_token}"))],
        );
        assert_eq!(response.status, 200, "{}", response.body);
        response.json()
    };
    let first = customer_event(
        "cust-1",
        "2026-11-20T10:00:00Z",
        json!({"customer_ref": "C-777", "email": "vip@example.org", "name": "Vera Promi",
               "locale": "de-AT", "time_zone": "Europe/Vienna", "high_profile": true}),
    );
    assert_eq!(send(&first)["accepted"], 1);
    let again = send(&first);
    assert_eq!(
        (again["accepted"].as_i64(), again["duplicates"].as_i64()),
        (Some(0), Some(1))
    );
    let stored = |app: &TestApp| -> (String, Option<String>, bool, String) {
        app.with_connection(|conn| {
            customers::table
                .filter(customers::customer_ref.eq("C-777"))
                .select((
                    customers::display_name,
                    customers::email,
                    customers::is_vip,
                    customers::time_zone,
                ))
                .first(conn)
        })
        .unwrap()
    };
    let expected = (
        "Vera Promi".to_owned(),
        Some("vip@example.org".to_owned()),
        true,
        "Europe/Vienna".to_owned(),
    );
    assert_eq!(stored(&app), expected);

    // A newer description changes the name; an older one arriving late changes nothing.
    let newer = customer_event(
        "cust-2",
        "2026-11-21T10:00:00Z",
        json!({"customer_ref": "C-777", "name": "Vera Prominent"}),
    );
    assert_eq!(send(&newer)["accepted"], 1);
    let older = customer_event(
        "cust-0",
        "2026-11-19T10:00:00Z",
        json!({"customer_ref": "C-777", "name": "Old Name", "high_profile": false}),
    );
    assert_eq!(send(&older)["duplicates"], 1);
    assert_eq!(stored(&app).0, "Vera Prominent");
    assert!(
        stored(&app).2,
        "an older event took the high-profile flag away"
    );

    // A description dated in the future would freeze the profile: refused.
    let future = customer_event(
        "cust-future",
        "2099-01-01T00:00:00Z",
        json!({"customer_ref": "C-777", "name": "Frozen"}),
    );
    let report = send(&future);
    assert_eq!(report["rejected"], 1);
    assert!(report["rejections"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("future"));

    // A source with a feed token but without leave to send reference data changes nobody.
    let other_sources = vec!["/crm/support-console".to_owned()];
    let crm_token = app
        .with_connection(|conn| {
            einblick::ingest::token::create(
                conn,
                "crm",
                &other_sources,
                chrono::Utc::now().naive_utc(),
            )
        })
        .unwrap()
        .1;
    let mut takeover = customer_event(
        "cust-takeover",
        "2026-11-23T10:00:00Z",
        json!({"customer_ref": "C-777", "email": "attacker@example.org"}),
    );
    takeover["source"] = json!("/crm/support-console");
    let response = app.client().post_raw(
        "/api/v1/feed/events",
        "application/cloudevents+json",
        takeover.to_string().as_bytes(),
        &[("Authorization", &format!("Bearer {crm_token}"))],
    );
    let report = response.json();
    assert_eq!(report["rejected"], 1, "{report}");
    assert!(report["rejections"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("EINBLICK_REFERENCE_SOURCES"));
    assert_eq!(stored(&app).1.as_deref(), Some("vip@example.org"));

    // A bad member is refused with its name and kept as a dead letter.
    let bad = customer_event(
        "cust-3",
        "2026-11-22T10:00:00Z",
        json!({"customer_ref": "C-778", "time_zone": "Mars/Olympus"}),
    );
    let report = send(&bad);
    assert_eq!(report["rejected"], 1);
    let reason = report["rejections"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("data.time_zone"), "{reason}");
    let letters: i64 = app
        .with_connection(|conn| {
            einblick::db::schema::dead_letters::table
                .count()
                .get_result(conn)
        })
        .unwrap();
    assert_eq!(letters, 3);
}

fn reset_link_from_outbox(app: &TestApp, to: &str) -> Option<String> {
    app.outbox_emails()
        .into_iter()
        .rev()
        .find(|mail| mail.to == to && mail.notice == "password_reset")
        .and_then(|mail| {
            mail.text
                .split_whitespace()
                .find(|word| word.contains("/account/set-password/"))
                .map(path_of)
        })
}

/// The reset email is sent after the answer; wait for it as a person would.
fn wait_for_reset_link(app: &TestApp, to: &str) -> String {
    for _ in 0..100 {
        if let Some(link) = reset_link_from_outbox(app, to) {
            return link;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("no reset email to {to}");
}

fn a_reset_link_sets_a_password_once(backend: Backend) {
    let app = app_for_shop(backend);
    let mut anna = app.signed_in(ANNA);
    let mut browser = app.client();
    let asked = browser.post_form("/account/forgot-password", &[("email", ANNA)]);
    assert_eq!(asked.status, 303);
    assert_eq!(
        asked.header("location").as_deref(),
        Some("/account/forgot-password?sent=1")
    );
    let link = wait_for_reset_link(&app, ANNA);
    let page = browser.get(&link);
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("name=\"password_confirm\""),
        "{}",
        page.body
    );
    let token = link.rsplit('/').next().unwrap().to_owned();

    // Too short, not matching, common, personal: each named, nothing used up.
    for (password, confirm, code) in [
        ("short", "short", "short"),
        ("a long enough one", "a long enough two", "mismatch"),
        ("Password1234", "Password1234", "common"),
        ("my C-100042 number", "my C-100042 number", "personal"),
    ] {
        let refused = browser.post_form(
            "/account/set-password",
            &[
                ("token", &token),
                ("password", password),
                ("password_confirm", confirm),
            ],
        );
        assert_eq!(refused.status, 303);
        assert!(
            refused
                .header("location")
                .unwrap()
                .ends_with(&format!("?error={code}")),
            "{password}: {:?}",
            refused.header("location")
        );
    }
    let new_password = "a river runs through it";
    let set = browser.post_form(
        "/account/set-password",
        &[
            ("token", &token),
            ("password", new_password),
            ("password_confirm", new_password),
        ],
    );
    assert_eq!(set.status, 303);
    assert_eq!(
        set.header("location").as_deref(),
        Some("/login?notice=password_set")
    );
    // Her other sessions ended with the new password.
    assert_eq!(anna.get("/api/v1/me/access-events?limit=1").status, 401);
    let old = app
        .client()
        .post_form("/login", &[("email", ANNA), ("password", DEMO_PASSWORD)]);
    assert_eq!(
        old.header("location").as_deref(),
        Some("/login?error=invalid")
    );
    let new = app
        .client()
        .post_form("/login", &[("email", ANNA), ("password", new_password)]);
    assert_eq!(new.header("location").as_deref(), Some("/timeline"));

    // Used twice: a clear page, the password stays.
    let twice = browser.post_form(
        "/account/set-password",
        &[
            ("token", &token),
            ("password", "another good sentence"),
            ("password_confirm", "another good sentence"),
        ],
    );
    assert_eq!(twice.status, 410);
    assert!(browser.get(&link).body.contains("/account/forgot-password"));

    // Expired: the same.
    let _ = browser.post_form("/account/forgot-password", &[("email", ANNA)]);
    let mut second = String::new();
    for _ in 0..100 {
        match reset_link_from_outbox(&app, ANNA) {
            Some(found) if found != link => {
                second = found;
                break;
            }
            _ => std::thread::sleep(std::time::Duration::from_millis(100)),
        }
    }
    assert!(!second.is_empty(), "no second reset email");
    app.with_connection(|conn| {
        diesel::update(password_links::table)
            .set(
                password_links::expires_at
                    .eq(chrono::Utc::now().naive_utc() - chrono::Duration::seconds(1)),
            )
            .execute(conn)
    })
    .unwrap();
    let second_token = second.rsplit('/').next().unwrap().to_owned();
    let expired = browser.post_form(
        "/account/set-password",
        &[
            ("token", &second_token),
            ("password", "another good sentence"),
            ("password_confirm", "another good sentence"),
        ],
    );
    assert_eq!(expired.status, 410);
}

fn the_reset_form_does_not_tell_whether_an_account_exists(backend: Backend) {
    let app = app_for_shop(backend);
    let ask = |email: &str| {
        let started = std::time::Instant::now();
        let response = app
            .client()
            .post_form("/account/forgot-password", &[("email", email)]);
        (response, started.elapsed())
    };
    let mut known_times = Vec::new();
    let mut unknown_times = Vec::new();
    for _ in 0..3 {
        let (known, known_time) = ask(BEN);
        let (unknown, unknown_time) = ask("nobody@example.org");
        assert_eq!(known.status, unknown.status);
        assert_eq!(known.header("location"), unknown.header("location"));
        assert_eq!(known.body, unknown.body);
        assert_eq!(
            known.headers_named("set-cookie"),
            unknown.headers_named("set-cookie")
        );
        known_times.push(known_time);
        unknown_times.push(unknown_time);
    }
    // The answer is sent before the lookup is made, so its timing cannot differ by design;
    // the figures are printed, not asserted (wall-clock times are no test oracle).
    eprintln!("reset answer times: account {known_times:?}, no account {unknown_times:?}");
    wait_for_reset_link(&app, BEN);
    assert!(app
        .outbox_emails()
        .iter()
        .all(|mail| mail.to != "nobody@example.org"));
}

fn reset_links_are_rate_limited_per_account(backend: Backend) {
    let app = app_for_shop(backend);
    for _ in 0..5 {
        let response = app
            .client()
            .post_form("/account/forgot-password", &[("email", MARA)]);
        assert_eq!(
            response.header("location").as_deref(),
            Some("/account/forgot-password?sent=1")
        );
    }
    let links = || {
        app.with_connection(|conn| password_links::table.count().get_result::<i64>(conn))
            .unwrap()
    };
    for _ in 0..100 {
        if links() >= 3 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // Let any late background task finish before counting.
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(links(), 3, "more than three links an hour were sent");
    let mails = app
        .outbox_emails()
        .iter()
        .filter(|mail| mail.to == MARA)
        .count();
    assert_eq!(mails, 3);
}

fn the_sign_in_page_offers_only_the_configured_ways(backend: Backend) {
    let shop_only = TestApp::spawn_with(backend, &[("EINBLICK_CUSTOMER_SIGN_IN", "portal")], false);
    let page = shop_only.client().get("/login");
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("name=\"password\""),
        "password form shown"
    );
    assert!(page.body.contains("from-shop"), "{}", page.body);
    let refused = shop_only
        .client()
        .post_form("/login", &[("email", ANNA), ("password", DEMO_PASSWORD)]);
    assert_eq!(
        refused.header("location").as_deref(),
        Some("/login?error=passwords_off")
    );
    let forgot = shop_only
        .client()
        .post_form("/account/forgot-password", &[("email", ANNA)]);
    assert_eq!(
        forgot.header("location").as_deref(),
        Some("/account/forgot-password?error=unavailable")
    );

    let passwords_only =
        TestApp::spawn_with(backend, &[("EINBLICK_CUSTOMER_SIGN_IN", "password")], false);
    let page = passwords_only.client().get("/login");
    assert!(page.body.contains("name=\"password\""));
    assert!(page.body.contains("/account/forgot-password"));
    assert!(!page.body.contains("from-shop"));
    assert!(!page.body.contains("/login/oidc"));
    let (_, token) = service_token(&passwords_only);
    let off = open_portal(
        &passwords_only,
        &token,
        &json!({"customer_ref": "C-1", "return_url": "https://shop.example.com/"}),
    );
    assert_eq!(off.status, 400);
    assert_eq!(off.json()["error"]["code"], "portal_sessions_off");
}

fn a_changed_address_retires_open_links(backend: Backend) {
    let app = app_for_shop(backend);
    let _ = app
        .client()
        .post_form("/account/forgot-password", &[("email", BEN)]);
    let link = wait_for_reset_link(&app, BEN);
    let sources = vec![SOURCE.to_owned()];
    let feed_token = app
        .with_connection(|conn| {
            einblick::ingest::token::create(conn, "shop", &sources, chrono::Utc::now().naive_utc())
        })
        .unwrap()
        .1;
    let moved = customer_event(
        "cust-ben-moved",
        "2026-11-24T10:00:00Z",
        json!({"customer_ref": "C-100043", "email": "ben.new@example.org"}),
    );
    let response = app.client().post_raw(
        "/api/v1/feed/events",
        "application/cloudevents+json",
        moved.to_string().as_bytes(),
        &[("Authorization", &format!("Bearer {feed_token}"))],
    );
    assert_eq!(response.json()["accepted"], 1);
    let token = link.rsplit('/').next().unwrap().to_owned();
    let used = app.client().post_form(
        "/account/set-password",
        &[
            ("token", &token),
            ("password", "a sentence for the old address"),
            ("password_confirm", "a sentence for the old address"),
        ],
    );
    assert_eq!(
        used.status, 410,
        "a link to the old address still set the password"
    );
}
