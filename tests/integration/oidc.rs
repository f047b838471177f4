//! Sign-in through an identity provider: staff single sign-on (issue 18) and customers through
//! the retailer's customer identity provider (issue 21), against a real, certified OpenID
//! provider (npm `oidc-provider`, see tests/oidc/provider.mjs) started per test.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use diesel::prelude::*;
use einblick::db::schema::{customers, oidc_logins, staff_users};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

const STAFF_CLIENT: &str = "einblick-staff";
const STAFF_SECRET: &str = "staff-client-secret-that-must-never-be-logged";
const CUSTOMER_CLIENT: &str = "einblick-customers";
const CUSTOMER_SECRET: &str = "customer-client-secret-that-must-never-be-logged";
const ROLE_MAP: &str =
    "einblick-admins=admin,einblick-leads=privacy_lead,einblick-analysts=privacy_analyst";

both_backends!(
    analysts_and_leads_sign_in_through_the_provider_and_are_made_on_first_sign_in,
    forged_or_replayed_answers_sign_nobody_in,
    a_group_removed_at_the_provider_takes_effect_at_the_next_sign_in,
    sign_out_ends_the_session_at_the_provider_too,
    customers_sign_in_with_the_retailers_identity_provider,
);

/// The provider, killed when dropped.
pub struct TestProvider {
    child: Child,
    pub issuer: String,
    _dir: tempfile_dir::TempDir,
}

impl Drop for TestProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl TestProvider {
    /// Starts the provider with Einblick's two clients registered for `app_url`.
    pub fn start(app_url: &str) -> TestProvider {
        let dir = tempfile_dir::TempDir::new(&format!("{}_oidc", unique_name()));
        let config = json!({
            "port": 0,
            "clients": [
                {
                    "client_id": STAFF_CLIENT, "client_secret": STAFF_SECRET,
                    "redirect_uris": [format!("{app_url}/staff/login/sso/callback")],
                    "post_logout_redirect_uris": [format!("{app_url}/staff/login")]
                },
                {
                    "client_id": CUSTOMER_CLIENT, "client_secret": CUSTOMER_SECRET,
                    "redirect_uris": [format!("{app_url}/login/oidc/callback")],
                    "post_logout_redirect_uris": [format!("{app_url}/login")]
                }
            ],
            "accounts": {
                "analyst": { "name": "Ada Analyst", "email": "ada@corp.example", "email_verified": true, "groups": ["staff", "einblick-analysts"] },
                "lead": { "name": "Lea Lead", "email": "lead@einblick.example", "email_verified": true, "groups": ["einblick-leads"] },
                "marketing": { "name": "Mark Eting", "email": "mark@corp.example", "email_verified": true, "groups": ["marketing"] },
                "mallory": { "name": "Mallory", "email": "admin@einblick.example", "email_verified": false, "groups": ["einblick-admins"] },
                "nora": { "name": "Nora Kundin", "email": "nora@example.org", "email_verified": true, "locale": "en-US", "zoneinfo": "Europe/Zurich", "customer_number": "C-880001" },
                "imposter": { "name": "Not Nora", "email": "imposter@example.org", "email_verified": true, "customer_number": "C-880001" },
                "nonumber": { "name": "No Number", "email": "nonumber@example.org" }
            }
        });
        let path = dir.0.join("provider.json");
        std::fs::write(&path, config.to_string()).unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/oidc/provider.mjs");
        let mut child = Command::new("node")
            .arg(script)
            .arg(&path)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node is needed for the test identity provider (bash .ci/setup --test)");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let issuer = first
            .trim()
            .strip_prefix("listening ")
            .unwrap_or_else(|| panic!("the provider did not start: {first:?}"))
            .to_owned();
        TestProvider {
            child,
            issuer,
            _dir: dir,
        }
    }

    fn post(&self, path: &str, body: Value) {
        let response = Client::new(&self.issuer).post_raw(
            path,
            "application/json",
            body.to_string().as_bytes(),
            &[],
        );
        assert_eq!(response.status, 204, "{path}: {}", response.body);
    }

    /// Makes the provider hand out a forged ID token (`signature`, `audience`, `expired`,
    /// `nonce`) or, with `None`, honest ones again.
    pub fn fault(&self, fault: Option<&str>) {
        self.post("/test/fault", json!({ "fault": fault }));
    }

    pub fn set_account(&self, login: &str, claims: Value) {
        self.post("/test/account", json!({ "login": login, "claims": claims }));
    }
}

/// A free port on loopback: the provider must know Einblick's address before either starts.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Setup {
    pub app: TestApp,
    pub provider: TestProvider,
}

pub fn setup(backend: Backend, extra: &[(&str, &str)]) -> Setup {
    let port = free_port();
    let app_url = format!("http://127.0.0.1:{port}");
    let provider = TestProvider::start(&app_url);
    let addr = format!("127.0.0.1:{port}");
    let mut settings: Vec<(&str, &str)> = vec![
        ("LEPTOS_SITE_ADDR", &addr),
        ("EINBLICK_PUBLIC_URL", &app_url),
        ("EINBLICK_OIDC_ISSUER", &provider.issuer),
        ("EINBLICK_OIDC_CLIENT_ID", STAFF_CLIENT),
        ("EINBLICK_OIDC_CLIENT_SECRET", STAFF_SECRET),
        ("EINBLICK_OIDC_PROVIDER_NAME", "Corp Login"),
        ("EINBLICK_OIDC_ROLE_MAP", ROLE_MAP),
        ("EINBLICK_CUSTOMER_OIDC_ISSUER", &provider.issuer),
        ("EINBLICK_CUSTOMER_OIDC_CLIENT_ID", CUSTOMER_CLIENT),
        ("EINBLICK_CUSTOMER_OIDC_CLIENT_SECRET", CUSTOMER_SECRET),
        ("EINBLICK_CUSTOMER_OIDC_PROVIDER_NAME", "Shop Account"),
        ("EINBLICK_CUSTOMER_SIGN_IN", "oidc,password"),
    ];
    settings.extend_from_slice(extra);
    let app = TestApp::spawn_with(backend, &settings, true);
    Setup { app, provider }
}

/// Where a sign-in ended up: the callback's answer from Einblick, and the callback's path.
pub struct SignIn {
    pub answer: Response,
    pub callback: String,
}

/// Signs in as `login` at the provider, starting at `start` on Einblick with `browser`'s
/// cookies, and returns Einblick's answer to the callback. `before_callback` may change the
/// database before the callback arrives.
pub fn sign_in(
    setup: &Setup,
    browser: &mut Client,
    start: &str,
    login: &str,
    before_callback: impl FnOnce(),
) -> SignIn {
    let callback = authorize(setup, browser, start, login);
    before_callback();
    let answer = browser.get(&callback);
    SignIn { answer, callback }
}

/// Begins a sign-in at `start` with `browser`, signs in as `login` at the provider, and returns
/// the callback path the provider sends the browser back to (not yet followed).
pub fn authorize(setup: &Setup, browser: &mut Client, start: &str, login: &str) -> String {
    let begun = browser.get(start);
    assert_eq!(begun.status, 303, "{start}: {}", begun.body);
    let mut location = begun.header("location").unwrap();
    assert!(location.starts_with(&setup.provider.issuer), "{location}");
    let mut at_provider = Client::new(&setup.provider.issuer);
    let app_url = setup.app.base_url.clone();
    for _ in 0..10 {
        if location.starts_with(&app_url) {
            break;
        }
        let path = location
            .strip_prefix(&setup.provider.issuer)
            .unwrap_or(&location)
            .to_owned();
        let response = if path.starts_with("/interaction/") {
            let form = at_provider.get(&path);
            assert_eq!(form.status, 200, "{}", form.body);
            at_provider.post_form(&path, &[("login", login)])
        } else {
            at_provider.get(&path)
        };
        assert!(
            (300..400).contains(&response.status),
            "{path}: {} {}",
            response.status,
            response.body
        );
        location = response.header("location").unwrap();
        if location.starts_with('/') {
            location = format!("{}{location}", setup.provider.issuer);
        }
    }
    location.strip_prefix(&app_url).unwrap().to_owned()
}

fn staff_row(app: &TestApp, email: &str) -> Option<(String, Option<String>, bool)> {
    app.with_connection(|conn| {
        staff_users::table
            .filter(staff_users::email.eq(email))
            .select((
                staff_users::staff_role,
                staff_users::sso_subject,
                staff_users::is_active,
            ))
            .first::<(String, Option<String>, bool)>(conn)
            .optional()
    })
    .unwrap()
}

fn has_staff_session(browser: &mut Client) -> bool {
    browser.get("/staff").status == 200
}

fn analysts_and_leads_sign_in_through_the_provider_and_are_made_on_first_sign_in(backend: Backend) {
    let setup = setup(backend, &[]);
    let page = setup.app.client().get("/staff/login");
    assert!(
        page.body.contains("Sign in with Corp Login")
            || page.body.contains("Anmelden mit Corp Login")
    );
    assert!(page.body.contains("href=\"/staff/login/sso\""));

    assert_eq!(staff_row(&setup.app, "ada@corp.example"), None);
    let mut ada = setup.app.client();
    let signed_in = sign_in(&setup, &mut ada, "/staff/login/sso", "analyst", || {});
    assert_eq!(signed_in.answer.status, 303, "{}", signed_in.answer.body);
    assert_eq!(
        signed_in.answer.header("location").as_deref(),
        Some("/staff")
    );
    let (role, subject, active) = staff_row(&setup.app, "ada@corp.example").unwrap();
    assert_eq!(role, "privacy_analyst");
    assert_eq!(subject, Some(format!("{}|analyst", setup.provider.issuer)));
    assert!(active);
    assert!(has_staff_session(&mut ada));
    // An analyst has no statistics.
    assert_eq!(ada.get("/staff/statistics").status, 403);

    // The lead's address is the demo lead's, confirmed by the provider: the account is linked.
    let mut lea = setup.app.client();
    let signed_in = sign_in(&setup, &mut lea, "/staff/login/sso", "lead", || {});
    assert_eq!(
        signed_in.answer.header("location").as_deref(),
        Some("/staff")
    );
    let (role, subject, _) = staff_row(&setup.app, LEAD).unwrap();
    assert_eq!(role, "privacy_lead");
    assert!(subject.is_some());
    assert_eq!(lea.get("/staff/statistics").status, 200);

    // An address the provider does not confirm takes over no account.
    let mut mallory = setup.app.client();
    let refused = sign_in(&setup, &mut mallory, "/staff/login/sso", "mallory", || {});
    assert_eq!(refused.answer.status, 403);
    assert!(!has_staff_session(&mut mallory));
    assert_eq!(staff_row(&setup.app, ADMIN).unwrap().1, None);

    // No mapped group: a clear page, no account, no session.
    let mut mark = setup.app.client();
    let refused = sign_in(&setup, &mut mark, "/staff/login/sso", "marketing", || {});
    assert_eq!(refused.answer.status, 403);
    assert!(
        refused.answer.body.contains("Kein Zugang zu Einblick"),
        "{}",
        refused.answer.body
    );
    assert!(!has_staff_session(&mut mark));
    assert_eq!(staff_row(&setup.app, "mark@corp.example"), None);

    // The admin view tells SSO from password accounts and shows the last sign-in.
    let mut admin = setup.app.staff_signed_in(ADMIN);
    let accounts = admin.get("/staff/admin/staff");
    assert_eq!(accounts.status, 200);
    let row = accounts
        .body
        .split("data-staff-email=\"ada@corp.example\"")
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap()
        .to_owned();
    assert!(row.contains("data-sign-in=\"sso\""), "{row}");
    assert!(!row.contains("noch nie"), "{row}");
}

fn forged_or_replayed_answers_sign_nobody_in(backend: Backend) {
    let setup = setup(backend, &[]);
    for fault in ["signature", "audience", "expired", "nonce"] {
        setup.provider.fault(Some(fault));
        let mut browser = setup.app.client();
        let refused = sign_in(&setup, &mut browser, "/staff/login/sso", "analyst", || {});
        assert_eq!(
            refused.answer.status, 401,
            "{fault}: {}",
            refused.answer.body
        );
        assert!(
            refused.answer.body.contains("ließ sich nicht prüfen"),
            "{fault}: {}",
            refused.answer.body
        );
        assert!(
            refused.answer.headers_named("set-cookie").is_empty(),
            "{fault}"
        );
        assert!(!has_staff_session(&mut browser), "{fault}");
    }
    setup.provider.fault(None);
    assert_eq!(staff_row(&setup.app, "ada@corp.example"), None);

    // A callback replayed after a good sign-in: its state is used up.
    let mut ada = setup.app.client();
    let good = sign_in(&setup, &mut ada, "/staff/login/sso", "analyst", || {});
    assert_eq!(good.answer.status, 303);
    let mut replaying = setup.app.client();
    let replayed = replaying.get(&good.callback);
    assert_eq!(replayed.status, 400);
    assert!(replayed.body.contains("erneut"), "{}", replayed.body);
    assert!(!has_staff_session(&mut replaying));

    // The PKCE verifier lost on the way: the provider refuses the code.
    let mut browser = setup.app.client();
    let app = &setup.app;
    let refused = sign_in(&setup, &mut browser, "/staff/login/sso", "analyst", || {
        app.with_connection(|conn| {
            diesel::update(oidc_logins::table)
                .set(oidc_logins::pkce_verifier.eq(""))
                .execute(conn)
        })
        .unwrap();
    });
    assert_eq!(refused.answer.status, 401, "{}", refused.answer.body);
    assert!(!has_staff_session(&mut browser));

    // A state begun for customers does not finish a staff sign-in.
    let mut browser = setup.app.client();
    let customer_callback = sign_in(&setup, &mut browser, "/login/oidc", "nora", || {})
        .callback
        .replace("/login/oidc/callback", "/staff/login/sso/callback");
    let mut other = setup.app.client();
    assert_eq!(other.get(&customer_callback).status, 400);
}

fn a_group_removed_at_the_provider_takes_effect_at_the_next_sign_in(backend: Backend) {
    let setup = setup(backend, &[("EINBLICK_STAFF_PASSWORDS", "false")]);
    // Passwords are off: the form is gone and the post refused.
    let page = setup.app.client().get("/staff/login");
    assert!(!page.body.contains("name=\"password\""));
    let refused = setup.app.client().post_form(
        "/staff/login",
        &[("email", ANALYST), ("password", DEMO_PASSWORD)],
    );
    assert_eq!(
        refused.header("location").as_deref(),
        Some("/staff/login?error=passwords_off")
    );

    let mut first_device = setup.app.client();
    let signed_in = sign_in(
        &setup,
        &mut first_device,
        "/staff/login/sso",
        "analyst",
        || {},
    );
    assert_eq!(signed_in.answer.status, 303);
    assert!(has_staff_session(&mut first_device));

    // Promoted at the provider: the next sign-in brings the new role.
    setup.provider.set_account(
        "analyst",
        json!({"name": "Ada Analyst", "email": "ada@corp.example", "email_verified": true,
               "groups": ["einblick-leads"]}),
    );
    let mut second_device = setup.app.client();
    sign_in(
        &setup,
        &mut second_device,
        "/staff/login/sso",
        "analyst",
        || {},
    );
    assert_eq!(
        staff_row(&setup.app, "ada@corp.example").unwrap().0,
        "privacy_lead"
    );
    assert_eq!(second_device.get("/staff/statistics").status, 200);

    // Removed from every Einblick group: refused, and every session ends.
    setup.provider.set_account(
        "analyst",
        json!({"name": "Ada Analyst", "email": "ada@corp.example", "email_verified": true,
               "groups": ["staff"]}),
    );
    let mut third_device = setup.app.client();
    let refused = sign_in(
        &setup,
        &mut third_device,
        "/staff/login/sso",
        "analyst",
        || {},
    );
    assert_eq!(refused.answer.status, 403);
    assert!(!has_staff_session(&mut third_device));
    assert!(!has_staff_session(&mut second_device));
    assert!(!has_staff_session(&mut first_device));
}

fn sign_out_ends_the_session_at_the_provider_too(backend: Backend) {
    let setup = setup(backend, &[]);
    let mut ada = setup.app.client();
    sign_in(&setup, &mut ada, "/staff/login/sso", "analyst", || {});
    let out = ada.post_form("/staff/logout", &[]);
    assert_eq!(out.status, 303);
    let location = out.header("location").unwrap();
    assert!(
        location.starts_with(&format!("{}/session/end", setup.provider.issuer)),
        "{location}"
    );
    assert!(location.contains("id_token_hint="), "{location}");
    assert!(!has_staff_session(&mut ada));
    // A password session signs out locally only.
    let mut lead = setup.app.staff_signed_in(LEAD);
    let out = lead.post_form("/staff/logout", &[]);
    assert_eq!(
        out.header("location").as_deref(),
        Some("/staff/login?notice=signed_out")
    );
}

fn customers_sign_in_with_the_retailers_identity_provider(backend: Backend) {
    let setup = setup(backend, &[]);
    let page = setup.app.client().get("/login");
    assert!(page.body.contains("Shop Account"), "{}", page.body);
    assert!(page.body.contains("/login/oidc"));

    let mut nora = setup.app.client();
    let signed_in = sign_in(
        &setup,
        &mut nora,
        "/login/oidc?next=/disputes",
        "nora",
        || {},
    );
    assert_eq!(signed_in.answer.status, 303, "{}", signed_in.answer.body);
    assert_eq!(
        signed_in.answer.header("location").as_deref(),
        Some("/disputes")
    );
    let (name, zone, lang): (String, String, String) = setup
        .app
        .with_connection(|conn| {
            customers::table
                .filter(customers::customer_ref.eq("C-880001"))
                .select((
                    customers::display_name,
                    customers::time_zone,
                    customers::lang,
                ))
                .first(conn)
        })
        .unwrap();
    assert_eq!(
        (name.as_str(), zone.as_str(), lang.as_str()),
        ("Nora Kundin", "Europe/Zurich", "en")
    );
    assert_eq!(nora.get("/api/v1/me/access-events").status, 200);

    // Another person at the provider whose (editable) customer number claims Nora's account.
    let mut imposter = setup.app.client();
    let refused = sign_in(&setup, &mut imposter, "/login/oidc", "imposter", || {});
    assert_eq!(refused.answer.status, 403, "{}", refused.answer.body);
    assert_eq!(imposter.get("/api/v1/me/access-events").status, 401);

    // A callback delivered to a browser that did not begin the sign-in (login CSRF: someone
    // sends a victim the link that would sign them in as the sender) is refused, and the browser
    // that began it can still finish.
    let mut attacker = setup.app.client();
    let callback = authorize(&setup, &mut attacker, "/login/oidc", "nora");
    let mut victim = setup.app.client();
    assert_eq!(victim.get(&callback).status, 400);
    assert_eq!(victim.get("/api/v1/me/access-events").status, 401);
    assert_eq!(attacker.get(&callback).status, 303);

    // A forged ID token signs no customer in.
    setup.provider.fault(Some("signature"));
    let mut forged = setup.app.client();
    let refused = sign_in(&setup, &mut forged, "/login/oidc", "nora", || {});
    assert_eq!(refused.answer.status, 401);
    assert_eq!(forged.get("/api/v1/me/access-events").status, 401);
    setup.provider.fault(None);

    // No customer number in the claims: refused with a clear page.
    let mut nameless = setup.app.client();
    let refused = sign_in(&setup, &mut nameless, "/login/oidc", "nonumber", || {});
    assert_eq!(refused.answer.status, 403);
    assert!(
        refused.answer.body.contains("Kundennummer"),
        "{}",
        refused.answer.body
    );
    assert_eq!(nameless.get("/api/v1/me/access-events").status, 401);
}

/// The client secrets, codes, states and ID tokens never reach the log, even at debug level.
#[test]
fn secrets_stay_out_of_the_log() {
    let database = ScratchDatabase::new(Backend::Sqlite);
    let port = free_port();
    let app_url = format!("http://127.0.0.1:{port}");
    let provider = TestProvider::start(&app_url);
    let addr = format!("127.0.0.1:{port}");
    let served = ServedBinary::start(
        &["--demo"],
        &[
            ("DATABASE_URL", &database.url()),
            ("LEPTOS_SITE_ADDR", &addr),
            ("EINBLICK_PUBLIC_URL", &app_url),
            ("EINBLICK_LOG", "debug"),
            ("EINBLICK_OIDC_ISSUER", &provider.issuer),
            ("EINBLICK_OIDC_CLIENT_ID", STAFF_CLIENT),
            ("EINBLICK_OIDC_CLIENT_SECRET", STAFF_SECRET),
            ("EINBLICK_OIDC_ROLE_MAP", ROLE_MAP),
        ],
    )
    .expect("einblick serves");
    let mut browser = served.client();
    let begun = browser.get("/staff/login/sso");
    let location = begun.header("location").unwrap();
    let state = url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    // Finish the sign-in through the provider by hand, then once more with a forged token.
    let setup_like = |login: &str, browser: &mut Client| {
        let mut at_provider = Client::new(&provider.issuer);
        let mut location = location.clone();
        let mut code = String::new();
        for _ in 0..10 {
            if location.starts_with(&app_url) {
                code = url::Url::parse(&location)
                    .unwrap()
                    .query_pairs()
                    .find(|(k, _)| k == "code")
                    .map(|(_, v)| v.into_owned())
                    .unwrap();
                break;
            }
            let path = location.strip_prefix(&provider.issuer).unwrap().to_owned();
            let response = if path.starts_with("/interaction/") {
                at_provider.get(&path);
                at_provider.post_form(&path, &[("login", login)])
            } else {
                at_provider.get(&path)
            };
            location = response.header("location").unwrap();
            if location.starts_with('/') {
                location = format!("{}{location}", provider.issuer);
            }
        }
        let answer = browser.get(location.strip_prefix(&app_url).unwrap());
        (answer, code)
    };
    let (answer, code) = setup_like("analyst", &mut browser);
    assert_eq!(answer.status, 303, "{}", answer.body);
    // The sign-out hands the ID token to the provider; it must not be logged either.
    let out = browser.post_form("/staff/logout", &[]);
    let id_token = url::Url::parse(&out.header("location").unwrap())
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "id_token_hint")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let log = served.printed();
    assert!(
        log.contains("staff signed in through single sign-on"),
        "{log}"
    );
    for (what, secret) in [
        ("client secret", STAFF_SECRET),
        ("state", state.as_str()),
        ("code", code.as_str()),
        ("ID token", id_token.as_str()),
    ] {
        assert!(!secret.is_empty(), "{what} is empty");
        assert!(!log.contains(secret), "the {what} is in the log:\n{log}");
    }
    drop(provider);
}
