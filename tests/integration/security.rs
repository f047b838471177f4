use crate::both_backends;
use crate::helpers::*;

both_backends!(
    a_post_from_another_origin_is_refused,
    every_response_carries_security_headers,
    page_scripts_run_only_with_the_response_nonce,
);

fn a_post_from_another_origin_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut client = app.client();
    let forged_origin = client.post_form_with(
        "/login",
        &[("email", ANNA), ("password", DEMO_PASSWORD)],
        &[("Origin", "https://evil.example")],
    );
    assert_eq!(forged_origin.status, 403);
    assert!(forged_origin.headers_named("set-cookie").is_empty());
    let cross_site = client.post_form_with("/logout", &[], &[("Sec-Fetch-Site", "cross-site")]);
    assert_eq!(cross_site.status, 403);
    assert!(
        cross_site.body.contains("anderen Website"),
        "{}",
        cross_site.body
    );
    let language = client.post_form_with("/language", &[("lang", "en")], &[("Origin", "null")]);
    assert_eq!(language.status, 403);
    // The same form from the portal itself works.
    let same_site = client.post_form_with(
        "/login",
        &[("email", ANNA), ("password", DEMO_PASSWORD)],
        &[("Sec-Fetch-Site", "same-origin")],
    );
    assert_eq!(same_site.status, 303);
}

fn every_response_carries_security_headers(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[], false);
    let mut client = app.client();
    for path in [
        "/login",
        "/api/v1/me/access-events",
        "/does-not-exist",
        "/healthz",
    ] {
        let response = client.get(path);
        assert_eq!(
            response.header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            response.header("x-frame-options").as_deref(),
            Some("DENY"),
            "{path}"
        );
        assert_eq!(
            response.header("referrer-policy").as_deref(),
            Some("same-origin"),
            "{path}"
        );
        let csp = response
            .header("content-security-policy")
            .unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(
            response.header("cache-control").as_deref(),
            Some("no-store"),
            "{path}"
        );
    }
    assert_eq!(client.get("/does-not-exist").status, 404);
}

fn page_scripts_run_only_with_the_response_nonce(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[], false);
    let mut client = app.client();
    let first = client.get("/login");
    let csp = first.header("content-security-policy").expect("CSP");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("nonce in CSP")
        .to_owned();
    assert!(
        csp.contains("'wasm-unsafe-eval'"),
        "hydration needs WebAssembly: {csp}"
    );
    assert!(!csp.contains("'unsafe-inline'"), "{csp}");
    for script in first.body.split("<script").skip(1) {
        let tag = script.split('>').next().unwrap_or("");
        assert!(
            tag.contains(&format!("nonce=\"{nonce}\"")),
            "script without this response's nonce: <script{tag}>"
        );
    }
    let second = client
        .get("/login")
        .header("content-security-policy")
        .unwrap();
    assert_ne!(csp, second, "a nonce is used once");
}
