//! The portal's hardening (issue 12, items 1 and 5–9): no anonymous Argon2, throttling that
//! does not lock the owner out, no demo accounts by accident, sessions that end, looks that
//! count only when deliberate, and no secrets or addresses in logs and pages.

use std::thread;

use diesel::prelude::*;
use einblick::db::schema::{access_events, customers, sessions, staff_users};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    item1_anonymous_posts_to_the_staff_form_never_hash_a_password,
    item1_sign_ins_hash_on_a_bounded_pool,
    item5_the_owner_signs_in_from_a_known_device_while_guessers_are_locked_out,
    item5_clients_behind_a_trusted_proxy_are_throttled_one_by_one,
    item5_forwarded_addresses_from_other_peers_are_not_believed,
    item5_an_address_waits_longer_with_every_further_failure,
    item6_serve_never_seeds_the_demo_unless_asked,
    item6_serve_refuses_a_database_holding_the_demo_accounts,
    item6_the_first_admin_is_created_from_the_command_line,
    item7_sessions_end_after_their_absolute_lifetime,
    item7_over_https_cookies_are_host_prefixed_and_hsts_is_sent,
    item8_only_a_navigation_from_this_site_counts_as_a_look,
    item9_metrics_are_served_only_to_the_token_or_allowed_addresses,
    item9_sign_in_pages_show_nothing_typed_into_the_url,
    item9_passwords_in_urls_never_reach_the_output,
    item9_smtp_failures_log_the_recipients_domain_only,
);

fn item1_anonymous_posts_to_the_staff_form_never_hash_a_password(backend: Backend) {
    let app = TestApp::spawn(backend);
    let before = metric(&app, "einblick_password_hashes_total");
    let fields = [
        ("email", "new@einblick.example"),
        ("name", "New"),
        ("role", "admin"),
        ("password", "a long enough password"),
    ];
    for _ in 0..20 {
        let response = app.client().post_form("/staff/admin/staff", &fields);
        assert_eq!(
            response.header("location").as_deref(),
            Some("/staff/login?notice=session")
        );
    }
    // Nor a customer, nor staff whose role may not manage staff.
    let mut anna = app.signed_in(ANNA);
    anna.post_form("/staff/admin/staff", &fields);
    let mut lead = app.staff_signed_in(LEAD);
    assert_eq!(lead.post_form("/staff/admin/staff", &fields).status, 403);
    // The two sign-ins above hashed twice; the 22 refused posts not once.
    assert_eq!(metric(&app, "einblick_password_hashes_total") - before, 2.0);
}

fn item1_sign_ins_hash_on_a_bounded_pool(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        &[("EINBLICK_PASSWORD_HASH_CONCURRENCY", "1")],
        true,
    );
    let guesses: Vec<_> = [ANNA, BEN, MARA, LENA, ANALYST, LEAD]
        .into_iter()
        .enumerate()
        .map(|(i, email)| {
            let mut client = app.client();
            let path = if i < 4 { "/login" } else { "/staff/login" };
            thread::spawn(move || {
                client
                    .post_form(path, &[("email", email), ("password", "a wrong guess")])
                    .status
            })
        })
        .collect();
    // Pages are answered while the hashes queue.
    assert_eq!(app.client().get("/healthz").status, 200);
    for guess in guesses {
        assert_eq!(guess.join().unwrap(), 303);
    }
    assert_eq!(metric(&app, "einblick_password_hashes_total"), 6.0);
    assert_eq!(metric(&app, "einblick_password_hashes_peak"), 1.0);
}

fn sign_in(client: &mut Client, email: &str, password: &str) -> Response {
    client.post_form("/login", &[("email", email), ("password", password)])
}

fn item5_the_owner_signs_in_from_a_known_device_while_guessers_are_locked_out(backend: Backend) {
    let app = TestApp::spawn(backend);
    // Ben signed in on his laptop before; it keeps a device cookie.
    let mut laptop = app.signed_in(BEN);
    assert!(laptop.cookies.contains_key("einblick_device"));
    laptop.post_form("/logout", &[]);
    // Someone guesses Ben's password from elsewhere until they are locked out.
    let mut guesser = app.client();
    for _ in 0..5 {
        assert_eq!(sign_in(&mut guesser, BEN, "guess").status, 303);
    }
    assert_eq!(sign_in(&mut guesser, BEN, DEMO_PASSWORD).status, 429);
    // Ben, on his laptop, still gets in.
    let signed_in = sign_in(&mut laptop, BEN, DEMO_PASSWORD);
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert_eq!(signed_in.header("location").as_deref(), Some("/timeline"));
    // A trusted device that fails too often itself loses that trust.
    for _ in 0..5 {
        sign_in(&mut laptop, BEN, "guess");
    }
    assert_eq!(sign_in(&mut laptop, BEN, DEMO_PASSWORD).status, 429);
}

fn item5_clients_behind_a_trusted_proxy_are_throttled_one_by_one(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("EINBLICK_TRUSTED_PROXIES", "127.0.0.1")], true);
    let origin = app.base_url.clone();
    let post = |client: &mut Client, behind: &str, email: &str, password: &str| {
        client.post_form_with(
            "/login",
            &[("email", email), ("password", password)],
            &[("X-Forwarded-For", behind), ("Origin", &origin)],
        )
    };
    // One client behind the proxy guesses against many accounts until it is slowed down.
    let mut guesser = app.client();
    for i in 0..30 {
        post(
            &mut guesser,
            "198.51.100.1",
            &format!("nobody{i}@example.com"),
            "guess",
        );
    }
    // However slowly those went through (a loaded machine), the last failure is recent now.
    let recent = chrono::Utc::now().naive_utc() + chrono::Duration::seconds(30);
    app.with_connection(|conn| {
        diesel::update(einblick::db::schema::login_failures::table)
            .set(einblick::db::schema::login_failures::failed_at.eq(recent))
            .execute(conn)
    })
    .unwrap();
    let slowed = post(&mut guesser, "198.51.100.1", ANNA, "guess");
    assert_eq!(slowed.status, 429, "the guessing client waits");
    // Another customer behind the same proxy signs in at once.
    let mut other = app.client();
    let response = post(&mut other, "198.51.100.2", ANNA, DEMO_PASSWORD);
    assert_eq!(response.status, 303, "{}", response.body);
    assert_eq!(response.header("location").as_deref(), Some("/timeline"));
}

fn item5_forwarded_addresses_from_other_peers_are_not_believed(backend: Backend) {
    // No trusted proxies: a client cannot dodge its address's delays by naming other ones.
    let app = TestApp::spawn(backend);
    let origin = app.base_url.clone();
    let mut client = app.client();
    for i in 0..30 {
        let spoofed = format!("203.0.113.{i}");
        client.post_form_with(
            "/login",
            &[
                ("email", &format!("nobody{i}@example.com")),
                ("password", "guess"),
            ],
            &[("X-Forwarded-For", &spoofed), ("Origin", &origin)],
        );
    }
    // However slowly those went through (a loaded machine), the last failure is recent now.
    let recent = chrono::Utc::now().naive_utc() + chrono::Duration::seconds(30);
    app.with_connection(|conn| {
        diesel::update(einblick::db::schema::login_failures::table)
            .set(einblick::db::schema::login_failures::failed_at.eq(recent))
            .execute(conn)
    })
    .unwrap();
    let response = client.post_form_with(
        "/login",
        &[("email", "nobody@example.com"), ("password", "guess")],
        &[("X-Forwarded-For", "203.0.113.200"), ("Origin", &origin)],
    );
    assert_eq!(response.status, 429);
}

fn item5_an_address_waits_longer_with_every_further_failure(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut client = app.client();
    let mut fail = |i: usize| sign_in(&mut client, &format!("nobody{i}@example.com"), "guess");
    // Ten failures are free (twice the account's five).
    for i in 0..10 {
        assert_eq!(fail(i).status, 303);
    }
    let mut waits = Vec::new();
    // Failure times are set by hand, so a slow machine cannot let a delay pass unseen.
    let set_failures_at = |at: chrono::NaiveDateTime| {
        app.with_connection(|conn| {
            diesel::update(einblick::db::schema::login_failures::table)
                .set(einblick::db::schema::login_failures::failed_at.eq(at))
                .execute(conn)
        })
        .unwrap();
    };
    for i in 10..14 {
        // The delay since the last failure has passed: the attempt is let through…
        set_failures_at(chrono::Utc::now().naive_utc() - chrono::Duration::seconds(70));
        assert_eq!(fail(i).status, 303, "attempt {i}");
        set_failures_at(chrono::Utc::now().naive_utc() + chrono::Duration::seconds(30));
        // …and the next one right after it has to wait, longer each time.
        let refused = fail(100 + i);
        assert_eq!(refused.status, 429);
        waits.push(
            refused
                .header("retry-after")
                .unwrap()
                .parse::<u64>()
                .unwrap(),
        );
    }
    assert!(waits.windows(2).all(|w| w[1] > w[0]), "{waits:?}");
}

fn demo_account_count(url: &str) -> i64 {
    let location = einblick::db::DatabaseLocation::parse(url).unwrap();
    let db = einblick::db::Database::connect(location, 1).unwrap();
    let mut conn = db.get().unwrap();
    let customers: i64 = customers::table.count().get_result(&mut *conn).unwrap();
    let staff: i64 = staff_users::table.count().get_result(&mut *conn).unwrap();
    customers + staff
}

fn item6_serve_never_seeds_the_demo_unless_asked(backend: Backend) {
    let database = ScratchDatabase::new(backend);
    let url = database.url();
    let keys = tempfile_dir::TempDir::new(&format!("{}_log_keys", unique_name()));
    let key_dir = keys.0.to_string_lossy().into_owned();
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("EINBLICK_LOG_KEY_DIR", &key_dir),
    ];
    let server = ServedBinary::start(&[], &env).expect("serves");
    assert_eq!(server.client().get("/healthz").status, 200);
    assert_eq!(demo_account_count(&url), 0, "{}", server.printed());
    drop(server);
    let demo = ServedBinary::start(&["--demo"], &env).expect("serves");
    assert_eq!(demo.client().get("/healthz").status, 200);
    assert!(demo_account_count(&url) > 0);
}

fn item6_serve_refuses_a_database_holding_the_demo_accounts(backend: Backend) {
    let database = ScratchDatabase::new(backend);
    let url = database.url();
    let keys = tempfile_dir::TempDir::new(&format!("{}_log_keys", unique_name()));
    let key_dir = keys.0.to_string_lossy().into_owned();
    let seeded = einblick_binary()
        .arg("seed-demo")
        .env("DATABASE_URL", &url)
        .env("EINBLICK_LOG_KEY_DIR", &key_dir)
        .output()
        .unwrap();
    assert!(seeded.status.success());
    let refused = ServedBinary::start(&[], &[("DATABASE_URL", &url)])
        .err()
        .expect("a server without --demo refuses the demo accounts");
    assert!(refused.contains("demo's accounts"), "{refused}");
    assert!(refused.contains("einblick staff create"), "{refused}");
    let with_env = ServedBinary::start(
        &[],
        &[
            ("DATABASE_URL", &url),
            ("EINBLICK_DEMO", "true"),
            ("EINBLICK_LOG_KEY_DIR", &key_dir),
        ],
    );
    assert!(with_env.is_ok(), "EINBLICK_DEMO=true serves the demo");
}

fn item6_the_first_admin_is_created_from_the_command_line(backend: Backend) {
    use std::io::Write;
    let app = TestApp::spawn_with(backend, &[], false);
    let url = url_of(app.db.location());
    let mut create = einblick_binary()
        .args([
            "staff",
            "create",
            "--role",
            "admin",
            "--email",
            "root@retailer.example",
            "--password-stdin",
        ])
        .env("DATABASE_URL", &url)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(create.stdin.take().unwrap(), "a first admin password").unwrap();
    let created = create.wait_with_output().unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let mut admin = app.client();
    let signed_in = admin.post_form(
        "/staff/login",
        &[
            ("email", "root@retailer.example"),
            ("password", "a first admin password"),
        ],
    );
    assert_eq!(
        signed_in.header("location").as_deref(),
        Some("/staff/admin/feed")
    );
    // A short password is refused and nothing is created.
    let short = einblick_binary()
        .args([
            "staff",
            "create",
            "--role",
            "admin",
            "--email",
            "b@x.example",
        ])
        .arg("--password-stdin")
        .env("DATABASE_URL", &url)
        .stdin(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert!(!short.status.success());
}

fn item7_sessions_end_after_their_absolute_lifetime(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut anna = app.signed_in(ANNA);
    let mut lead = app.staff_signed_in(LEAD);
    assert_eq!(anna.get("/api/v1/me/access-events?limit=1").status, 200);
    let signed_in_hours_ago = |hours: i64, customer: bool| {
        let at = chrono::Utc::now().naive_utc() - chrono::Duration::hours(hours);
        app.with_connection(|conn| {
            if customer {
                diesel::update(sessions::table.filter(sessions::customer_id.is_not_null()))
                    .set(sessions::created_at.eq(at))
                    .execute(conn)
            } else {
                diesel::update(sessions::table.filter(sessions::staff_user_id.is_not_null()))
                    .set(sessions::created_at.eq(at))
                    .execute(conn)
            }
        })
        .unwrap();
    };
    // Used a moment ago, but signed in 11 hours ago: still fine for a customer.
    signed_in_hours_ago(11, true);
    assert_eq!(anna.get("/api/v1/me/access-events?limit=1").status, 200);
    signed_in_hours_ago(13, true);
    assert_eq!(anna.get("/api/v1/me/access-events?limit=1").status, 401);
    // Staff sessions end after 8 hours.
    signed_in_hours_ago(7, false);
    assert_eq!(lead.get("/staff").status, 200);
    signed_in_hours_ago(9, false);
    let page = lead.get("/staff");
    assert!(matches!(page.status, 302 | 303), "{}", page.status);
}

fn item7_over_https_cookies_are_host_prefixed_and_hsts_is_sent(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("EINBLICK_TRUSTED_PROXIES", "127.0.0.1")], true);
    let origin = app.base_url.clone();
    let https = [("X-Forwarded-Proto", "https"), ("Origin", origin.as_str())];
    let mut anna = app.client();
    let signed_in = anna.post_form_with(
        "/login",
        &[("email", ANNA), ("password", DEMO_PASSWORD)],
        &https,
    );
    assert_eq!(signed_in.status, 303);
    let cookies = signed_in.headers_named("set-cookie");
    let session = cookies
        .iter()
        .find(|c| c.starts_with("__Host-einblick_session="))
        .unwrap_or_else(|| panic!("{cookies:?}"));
    assert!(
        session.contains("Secure") && session.contains("Path=/"),
        "{session}"
    );
    assert!(!session.contains("Domain"), "{session}");
    assert!(cookies
        .iter()
        .any(|c| c.starts_with("__Host-einblick_device=")));
    let hsts = signed_in.header("strict-transport-security").unwrap();
    assert!(hsts.contains("max-age="), "{hsts}");
    // The prefixed cookie signs Anna in.
    let page = anna.get_with(
        "/api/v1/me/access-events?limit=1",
        &[("X-Forwarded-Proto", "https")],
    );
    assert_eq!(page.status, 200, "{}", page.body);
    // Plain HTTP gets neither.
    let plain = app.client().get("/login");
    assert!(plain.header("strict-transport-security").is_none());
    // From a peer that is no trusted proxy, the header is the client's own claim.
    let untrusted = TestApp::spawn(backend);
    let claimed = untrusted
        .client()
        .get_with("/login", &[("X-Forwarded-Proto", "https")]);
    assert!(claimed.header("strict-transport-security").is_none());
}

fn back_office_looks(app: &TestApp) -> i64 {
    app.with_connection(|conn| {
        access_events::table
            .filter(access_events::source.eq("/einblick/back-office"))
            .count()
            .get_result(conn)
    })
    .unwrap()
}

fn item8_only_a_navigation_from_this_site_counts_as_a_look(backend: Backend) {
    let app = TestApp::spawn(backend);
    let reference: String = app
        .with_connection(|conn| {
            einblick::db::schema::disputes::table
                .select(einblick::db::schema::disputes::reference)
                .first(conn)
        })
        .unwrap();
    let case = format!("/staff/disputes/{reference}");
    let mut lead = app.staff_signed_in(LEAD);
    let navigate = [
        ("Sec-Fetch-Mode", "navigate"),
        ("Sec-Fetch-Dest", "document"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut all = navigate.to_vec();
        all.extend_from_slice(extra);
        all
    };
    let looks = back_office_looks(&app);
    for not_a_look in [
        with(&[("Sec-Fetch-Site", "cross-site")]),
        with(&[("Sec-Fetch-Site", "same-site")]),
        with(&[
            ("Sec-Fetch-Site", "same-origin"),
            ("Sec-Purpose", "prefetch"),
        ]),
        vec![
            ("Sec-Fetch-Site", "cross-site"),
            ("Sec-Fetch-Mode", "no-cors"),
            ("Sec-Fetch-Dest", "image"),
        ],
    ] {
        let page = lead.get_with(&case, &not_a_look);
        assert!(
            page.body.contains("Fall öffnen"),
            "{not_a_look:?}: {}",
            page.body
        );
        assert!(
            !page.body.contains("C-1000"),
            "{not_a_look:?} showed the customer"
        );
        assert_eq!(back_office_looks(&app), looks, "{not_a_look:?} was logged");
    }
    let opened = lead.get_with(&case, &with(&[("Sec-Fetch-Site", "same-origin")]));
    assert!(opened.body.contains("C-1000"), "{}", opened.body);
    assert_eq!(back_office_looks(&app), looks + 1);
    let typed = lead.get_with(&case, &with(&[("Sec-Fetch-Site", "none")]));
    assert_eq!(typed.status, 200);
    assert_eq!(back_office_looks(&app), looks + 2);

    // The regulator's case page works the same way.
    let mut regulator = app.staff_signed_in(REGULATOR);
    let opened_case = regulator.post_form(
        "/staff/regulator/cases",
        &[
            ("reference", "LfD-2026-8"),
            ("legal_basis", "Art. 58(1)(a) GDPR"),
            ("customer_ref", ANNA_REF),
            ("from", "2026-01-01"),
            ("to", "2026-06-30"),
        ],
    );
    let case_url = opened_case.header("location").unwrap();
    let regulator_looks = || -> i64 {
        app.with_connection(|conn| {
            access_events::table
                .filter(access_events::source.eq("/einblick/regulator"))
                .count()
                .get_result(conn)
        })
        .unwrap()
    };
    let before = regulator_looks();
    let prefetched = regulator.get_with(&case_url, &[("Sec-Purpose", "prefetch")]);
    assert!(!prefetched.body.contains(ANNA_REF));
    assert_eq!(regulator_looks(), before);
    regulator.get_with(&case_url, &with(&[("Sec-Fetch-Site", "same-origin")]));
    assert_eq!(regulator_looks(), before + 1);
}

fn item9_metrics_are_served_only_to_the_token_or_allowed_addresses(backend: Backend) {
    let token = "metrics-token-of-32-characters!!";
    let app = TestApp::spawn_with(
        backend,
        &[
            ("EINBLICK_TRUSTED_PROXIES", "127.0.0.1"),
            ("EINBLICK_METRICS_TOKEN", token),
        ],
        true,
    );
    let from_outside = [("X-Forwarded-For", "203.0.113.7")];
    let refused = app.client().get_with("/metrics", &from_outside);
    assert_eq!(refused.status, 401);
    assert!(!refused.body.contains("einblick_feed"), "{}", refused.body);
    let bearer = format!("Bearer {token}");
    let wrong = app.client().get_with(
        "/metrics",
        &[from_outside[0], ("Authorization", "Bearer nope")],
    );
    assert_eq!(wrong.status, 401);
    let with_token = app
        .client()
        .get_with("/metrics", &[from_outside[0], ("Authorization", &bearer)]);
    assert_eq!(with_token.status, 200);
    assert!(with_token.body.contains("einblick_dead_letters"));
    // The local monitoring agent needs no token.
    assert_eq!(app.client().get("/metrics").status, 200);
}

fn item9_sign_in_pages_show_nothing_typed_into_the_url(backend: Backend) {
    let app = TestApp::spawn(backend);
    for page in [
        "/login?error=rate_limited&minutes=999+Minuten.+Rufen+Sie+0800-FAKE+an",
        "/staff/login?error=rate_limited&minutes=999+Minuten.+Rufen+Sie+0800-FAKE+an",
    ] {
        let body = app.client().get(page).body;
        assert!(!body.contains("Rufen Sie 0800-FAKE"), "{page}: {body}");
        assert!(!body.contains("999 Minuten"), "{page}");
    }
    // The staff sign-in's lockout is told by the server itself, with Retry-After.
    let mut guesser = app.client();
    for _ in 0..5 {
        guesser.post_form("/staff/login", &[("email", LEAD), ("password", "guess")]);
    }
    let locked = guesser.post_form("/staff/login", &[("email", LEAD), ("password", "guess")]);
    assert_eq!(locked.status, 429);
    assert!(locked.header("retry-after").is_some());
}

fn item9_passwords_in_urls_never_reach_the_output(backend: Backend) {
    // A database URL that cannot work: the error names the setting, not the password.
    let output = einblick_binary()
        .arg("migrate")
        .env(
            "DATABASE_URL",
            "postgres://einblick:hunter2-secret@127.0.0.1:1/einblick",
        )
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!said.contains("hunter2-secret"), "{said}");
    // A NATS server that does not answer: the consumer's retries are logged without it.
    let database = ScratchDatabase::new(backend);
    let server = ServedBinary::start(
        &[],
        &[
            ("DATABASE_URL", &database.url()),
            ("EINBLICK_NATS_URL", "nats://feed:s3cret-nats@127.0.0.1:1"),
            ("EINBLICK_NATS_SOURCES", "einblick.access.>=*"),
        ],
    )
    .expect("serves");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !server.printed().contains("NATS consumer interrupted") {
        assert!(std::time::Instant::now() < deadline, "{}", server.printed());
        thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(
        !server.printed().contains("s3cret-nats"),
        "{}",
        server.printed()
    );
}

/// An SMTP server that refuses every recipient, quoting the address as real ones do.
const REFUSING_SMTP: &str = r#"
import sys, time
from aiosmtpd.controller import Controller
class Refuse:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return f"550 5.1.1 <{address}>: Recipient address rejected"
controller = Controller(Refuse(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
time.sleep(600)
"#;

fn item9_smtp_failures_log_the_recipients_domain_only(backend: Backend) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut smtp = std::process::Command::new("python3")
        .args(["-c", REFUSING_SMTP, &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python3 with aiosmtpd (bash .ci/setup --test installs it)");
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            smtp.try_wait().ok().flatten().is_none()
                && started.elapsed() < std::time::Duration::from_secs(20),
            "the refusing SMTP server did not start (python3 with aiosmtpd: bash .ci/setup --test)"
        );
        thread::sleep(std::time::Duration::from_millis(100));
    }
    let database = ScratchDatabase::new(backend);
    let server = ServedBinary::start(
        &["--demo"],
        &[
            ("DATABASE_URL", &database.url()),
            ("EINBLICK_SMTP_URL", &format!("smtp://127.0.0.1:{port}")),
        ],
    )
    .expect("serves");
    let mut anna = server.client();
    assert_eq!(
        anna.post_form("/login", &[("email", ANNA), ("password", DEMO_PASSWORD)])
            .status,
        303
    );
    let page = anna.get("/api/v1/me/access-events?limit=1").json();
    let event = page["items"][0]["id"].as_str().unwrap().to_owned();
    let filed = anna.post_form(
        "/disputes",
        &[
            ("event", &event),
            ("ground", "not_recognised"),
            ("statement", "I do not know this."),
        ],
    );
    assert_eq!(filed.status, 303);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !server.printed().contains("SMTP delivery failed") {
        assert!(std::time::Instant::now() < deadline, "{}", server.printed());
        thread::sleep(std::time::Duration::from_millis(200));
    }
    let printed = server.printed();
    let smtp_lines: Vec<&str> = printed.lines().filter(|l| l.contains("SMTP")).collect();
    assert!(
        smtp_lines.iter().any(|l| l.contains("<…@example.com>")),
        "{printed}"
    );
    assert!(
        smtp_lines.iter().all(|l| !l.contains("anna@")),
        "{smtp_lines:?}"
    );
    let _ = smtp.kill();
    let _ = smtp.wait();
}
