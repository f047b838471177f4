//! Every route that is not public refuses a request without a session: walked from the route
//! table itself, the Leptos page list and the registered server functions, so a route added
//! later without its guard fails here.

use einblick::web::routes::Access;

use crate::both_backends;
use crate::helpers::{Backend, TestApp};

/// Pages anyone may open.
const PUBLIC_PAGES: [&str; 5] = [
    "/",
    "/login",
    "/staff/login",
    "/account/forgot-password",
    "/account/set-password/1",
];

/// Server functions anyone may call: what the sign-in pages offer, and whether a set-password
/// link is still good (a token nobody can guess; looking does not use it up).
const PUBLIC_SERVER_FNS: [&str; 2] = ["/rpc/sign-in-options", "/rpc/password-link"];

/// A value for each path parameter that would name something real if the guard let it through.
fn sample_path(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') || segment.starts_with(':') {
                "1"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn every_guarded_route_refuses_without_a_session(backend: Backend) {
    // Metrics are served to a token or listed addresses; loopback is not listed here.
    let app = TestApp::spawn_with(backend, &[("EINBLICK_METRICS_ALLOW", "192.0.2.1")], true);
    let mut checked = 0;

    for route in einblick::http::route_table().entries() {
        if route.access == Access::Public {
            continue;
        }
        let path = sample_path(route.path);
        let mut client = app.client();
        let response = match route.method.as_str() {
            "GET" => client.get(&path),
            "POST" => client.post_form(&path, &[("x", "1")]),
            other => panic!("the route table has a {other} route: {path}"),
        };
        let expected: &[u16] = match route.access {
            Access::Token => &[401],
            _ => &[303, 401, 403],
        };
        assert!(
            expected.contains(&response.status),
            "{} {} ({:?}) answered {} without a session: {}",
            route.method,
            route.path,
            route.access,
            response.status,
            response.body
        );
        checked += 1;
    }

    for page in einblick::http::page_routes() {
        let path = sample_path(page.path());
        if PUBLIC_PAGES.contains(&path.as_str()) {
            continue;
        }
        let response = app.client().get(&path);
        assert!(
            matches!(response.status, 302 | 303),
            "page {path} answered {} without a session",
            response.status
        );
        assert!(
            response
                .header("location")
                .is_some_and(|to| to.starts_with("/login") || to.starts_with("/staff/login")),
            "page {path} did not send to a sign-in: {:?}",
            response.header("location")
        );
        checked += 1;
    }

    // Server functions answer in their own encoding: the error says who is missing.
    for (path, method) in leptos::server_fn::actix::server_fn_paths() {
        assert_eq!(method.as_str(), "POST", "{path}");
        if PUBLIC_SERVER_FNS.contains(&path) {
            continue;
        }
        let response = app.client().post_raw(
            path,
            "application/x-www-form-urlencoded",
            b"query[limit]=5&reference=1&id=1&event_ids[0]=1&from=2026-01-01&to=2026-01-31&all=false",
            &[("Origin", &app.base_url), ("Accept", "application/json")],
        );
        assert!(
            response.body.contains("NotSignedIn"),
            "server function {path} answered {} without a session: {}",
            response.status,
            response.body
        );
        checked += 1;
    }
    assert!(checked > 40, "only {checked} routes were walked");
}

both_backends!(every_guarded_route_refuses_without_a_session);
