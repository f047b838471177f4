use crate::both_backends;
use crate::helpers::*;

both_backends!(
    signing_in_sets_a_hardened_session_cookie_and_opens_the_timeline,
    a_wrong_password_and_an_unknown_account_get_the_same_answer,
    repeated_failures_are_rate_limited_even_with_the_right_password,
    signing_in_replaces_an_existing_session_id,
    signing_out_ends_the_session_on_the_server,
    an_idle_session_expires,
    missing_fields_get_a_clear_message,
    the_sign_in_keeps_a_local_next_target_only,
);

fn signing_in_sets_a_hardened_session_cookie_and_opens_the_timeline(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut client = app.client();
    let response = client.post_form(
        "/login",
        &[("email", "Anna@Example.com "), ("password", DEMO_PASSWORD)],
    );
    assert_eq!(response.status, 303);
    assert_eq!(response.header("location").as_deref(), Some("/timeline"));
    let cookie = response
        .headers_named("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("einblick_session="))
        .expect("session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain-HTTP cookies cannot be Secure: {cookie}"
    );
    assert_eq!(client.get("/api/v1/me/access-events").status, 200);
}

fn a_wrong_password_and_an_unknown_account_get_the_same_answer(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut client = app.client();
    let wrong_password = client.post_form("/login", &[("email", ANNA), ("password", "nope")]);
    let unknown_account = client.post_form(
        "/login",
        &[("email", "nobody@example.com"), ("password", "nope")],
    );
    for response in [&wrong_password, &unknown_account] {
        assert_eq!(response.status, 303);
        assert_eq!(
            response.header("location").as_deref(),
            Some("/login?error=invalid")
        );
        assert!(response.headers_named("set-cookie").is_empty());
    }
    let page = client.get("/login?error=invalid");
    assert!(
        page.body
            .contains("E-Mail-Adresse oder Passwort ist nicht korrekt"),
        "{}",
        page.body
    );
}

fn repeated_failures_are_rate_limited_even_with_the_right_password(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("EINBLICK_LOGIN_MAX_FAILURES", "3")], true);
    let mut client = app.client();
    for _ in 0..3 {
        assert_eq!(
            client
                .post_form("/login", &[("email", BEN), ("password", "guess")])
                .status,
            303
        );
    }
    let locked = client.post_form("/login", &[("email", BEN), ("password", DEMO_PASSWORD)]);
    assert_eq!(locked.status, 429);
    let retry_after: u64 = locked
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 15 * 60);
    assert!(
        locked
            .body
            .contains("Zu viele fehlgeschlagene Anmeldeversuche"),
        "{}",
        locked.body
    );
    // Another account is not locked by Ben's failures.
    let other = app.signed_in(ANNA);
    drop(other);
}

fn signing_in_replaces_an_existing_session_id(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut client = app.signed_in(ANNA);
    let first = client.cookies["einblick_session"].clone();
    let response = client.post_form("/login", &[("email", ANNA), ("password", DEMO_PASSWORD)]);
    assert_eq!(response.status, 303);
    let second = client.cookies["einblick_session"].clone();
    assert_ne!(first, second);
    let mut stale = app.client();
    stale.cookies.insert("einblick_session".into(), first);
    assert_eq!(stale.get("/api/v1/me/access-events").status, 401);
}

fn signing_out_ends_the_session_on_the_server(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut client = app.signed_in(ANNA);
    let token = client.cookies["einblick_session"].clone();
    let response = client.post_form("/logout", &[]);
    assert_eq!(response.status, 303);
    assert_eq!(
        response.header("location").as_deref(),
        Some("/login?notice=signed_out")
    );
    assert!(!client.cookies.contains_key("einblick_session"));
    let mut replay = app.client();
    replay.cookies.insert("einblick_session".into(), token);
    assert_eq!(replay.get("/api/v1/me/access-events").status, 401);
}

fn an_idle_session_expires(backend: Backend) {
    use diesel::prelude::*;
    use einblick::db::schema::sessions;
    let app = TestApp::spawn_with(backend, &[("EINBLICK_SESSION_IDLE_MINUTES", "5")], true);
    let mut client = app.signed_in(ANNA);
    assert_eq!(client.get("/api/v1/me/access-events?limit=1").status, 200);
    let long_ago = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(6);
    app.with_connection(|conn| {
        diesel::update(sessions::table)
            .set(sessions::last_seen_at.eq(long_ago))
            .execute(conn)
    })
    .unwrap();
    let response = client.get("/api/v1/me/access-events?limit=1");
    assert_eq!(response.status, 401);
    assert_eq!(response.json()["error"]["code"], "not_signed_in");
}

fn missing_fields_get_a_clear_message(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[], false);
    let mut client = app.client();
    let response = client.post_form("/login", &[("email", "")]);
    assert_eq!(response.status, 303);
    assert_eq!(
        response.header("location").as_deref(),
        Some("/login?error=missing")
    );
    client.accept_language = "en".into();
    let page = client.get("/login?error=missing");
    assert!(
        page.body
            .contains("Please enter your email address and password."),
        "{}",
        page.body
    );
}

fn the_sign_in_keeps_a_local_next_target_only(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut client = app.client();
    let local = client.post_form(
        "/login",
        &[
            ("email", ANNA),
            ("password", DEMO_PASSWORD),
            ("next", "/timeline?reason=none"),
        ],
    );
    assert_eq!(
        local.header("location").as_deref(),
        Some("/timeline?reason=none")
    );
    let mut client = app.client();
    let foreign = client.post_form(
        "/login",
        &[
            ("email", ANNA),
            ("password", DEMO_PASSWORD),
            ("next", "//evil.example/"),
        ],
    );
    assert_eq!(foreign.header("location").as_deref(), Some("/timeline"));
}
