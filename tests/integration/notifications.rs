//! Customers are told (issue 14): preferences, alert emails over a real SMTP server (aiosmtpd),
//! coalescing, the weekly digest, one-click unsubscribe and its refusals, SMTP down then up, and
//! a sender killed mid-batch.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use chrono::Utc;
use diesel::prelude::*;
use einblick::config::Settings;
use einblick::db::schema::{access_events, access_explanations, customers, email_outbox};
use einblick::domain::CustomerId;
use einblick::notifications::token::UnsubscribeToken;
use einblick::transparency::LogKeys;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    anna_is_alerted_in_her_language_and_unsubscribes_with_one_click,
    each_preference_decides_what_is_told,
    a_burst_of_fifty_accesses_is_one_email,
    the_weekly_digest_counts_by_role_and_category_and_lists_the_unexplained,
    changed_or_expired_unsubscribe_links_are_refused,
    emails_wait_while_smtp_is_down_and_go_out_when_it_is_back,
    a_sender_killed_mid_batch_loses_no_email,
    sent_emails_are_emptied_after_thirty_days,
    an_address_the_server_refuses_is_given_up_at_once,
);

const CRM: &str = "/crm/support-console";
const RECORDS: &str = "/shop/records";

/// An aiosmtpd server that keeps each message as a file and may take its time over each.
const SMTP: &str = r#"
import sys, time, os, uuid
from aiosmtpd.controller import Controller
port, folder, delay = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
os.makedirs(folder, exist_ok=True)
class Keep:
    async def handle_DATA(self, server, session, envelope):
        time.sleep(delay)
        name = os.path.join(folder, uuid.uuid4().hex)
        with open(name + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(name + ".tmp", name + ".eml")
        return "250 OK"
controller = Controller(Keep(), hostname="127.0.0.1", port=port)
controller.start()
time.sleep(3600)
"#;

/// An aiosmtpd server that refuses every recipient for good (550).
const REFUSING_SMTP: &str = r#"
import sys, time
from aiosmtpd.controller import Controller
class Refuse:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 Recipient address rejected"
Controller(Refuse(), hostname="127.0.0.1", port=int(sys.argv[1])).start()
time.sleep(3600)
"#;

struct Smtp {
    child: Child,
    port: u16,
    folder: PathBuf,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Smtp {
    fn start(port: u16, delay_seconds: f64) -> Smtp {
        let folder = std::env::temp_dir().join(format!("einblick_notify_smtp_{}", unique_name()));
        let child = Command::new("python3")
            .args(["-c", SMTP, &port.to_string()])
            .arg(&folder)
            .arg(delay_seconds.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 with aiosmtpd (bash .ci/setup --test installs it)");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "aiosmtpd did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Smtp {
            child,
            port,
            folder,
        }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn messages(&self) -> Vec<Mail> {
        let Ok(entries) = std::fs::read_dir(&self.folder) else {
            return Vec::new();
        };
        entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .map(|p| Mail::parse(&std::fs::read_to_string(p).unwrap()))
            .collect()
    }

    fn messages_to(&self, address: &str) -> Vec<Mail> {
        self.messages()
            .into_iter()
            .filter(|m| m.header("To") == address)
            .collect()
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

/// A received message: its headers and its decoded text and HTML parts.
struct Mail {
    raw: String,
    text: String,
    html: String,
}

impl Mail {
    fn parse(raw: &str) -> Mail {
        let raw = raw.replace("\r\n", "\n");
        let decode = |kind: &str| -> String {
            raw.split("--einblick-")
                .find(|part| part.contains(&format!("Content-Type: {kind}")))
                .and_then(|part| part.split("\n\n").nth(1))
                .map(|body| {
                    let compact: String = body.split_whitespace().collect();
                    String::from_utf8(
                        base64::engine::general_purpose::STANDARD
                            .decode(compact)
                            .unwrap_or_default(),
                    )
                    .unwrap_or_default()
                })
                .unwrap_or_default()
        };
        Mail {
            text: decode("text/plain"),
            html: decode("text/html"),
            raw,
        }
    }

    fn header(&self, name: &str) -> String {
        self.raw
            .lines()
            .take_while(|l| !l.is_empty())
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or_default()
            .trim()
            .to_owned()
    }

    /// The path (and query) of the first link in the text part whose path starts with
    /// `prefix`; the host is `EINBLICK_PUBLIC_URL`'s.
    fn link(&self, prefix: &str) -> String {
        self.text
            .split_whitespace()
            .filter_map(|w| w.strip_prefix("http://127.0.0.1:3000"))
            .find(|path| path.starts_with(prefix))
            .unwrap_or_else(|| panic!("no link {prefix} in {}", self.text))
            .to_owned()
    }
}

/// Waits until `check` holds, or fails after `seconds`.
fn eventually(what: &str, seconds: u64, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("{what} did not happen within {seconds} s");
}

fn feed(app: &TestApp) -> String {
    let sources = vec![CRM.to_owned(), RECORDS.to_owned()];
    app.with_connection(|conn| {
        einblick::ingest::token::create(conn, "test", &sources, Utc::now().naive_utc())
    })
    .unwrap()
    .1
}

/// An access to `customer_ref`'s `category` a minute ago (or at `time`).
fn access(id: &str, customer_ref: &str, category: &str, time: Option<&str>) -> Value {
    let time = time.map_or_else(
        || (Utc::now() - chrono::Duration::minutes(1)).to_rfc3339(),
        str::to_owned,
    );
    json!({
        "specversion": "1.0", "id": id, "source": CRM, "type": "einblick.access.v1",
        "time": time,
        "data": {
            "customer_ref": customer_ref,
            "actor": { "employee_id": "E-1001", "role": "cs_agent_t1" },
            "data_category": category, "action": "view",
            "reason": { "code": "customer_request" }
        }
    })
}

fn judged(app: &TestApp, event_id: &str) -> bool {
    app.with_connection(|conn| {
        access_events::table
            .inner_join(access_explanations::table)
            .filter(access_events::event_id.eq(event_id))
            .count()
            .get_result::<i64>(conn)
    })
    .unwrap()
        == 1
}

fn row_id(app: &TestApp, event_id: &str) -> i64 {
    app.with_connection(|conn| {
        access_events::table
            .filter(access_events::event_id.eq(event_id))
            .select(access_events::id)
            .first::<i64>(conn)
    })
    .unwrap()
}

fn customer_id(app: &TestApp, email: &str) -> CustomerId {
    CustomerId(
        app.with_connection(|conn| {
            customers::table
                .filter(customers::email.eq(email))
                .select(customers::id)
                .first::<i64>(conn)
        })
        .unwrap(),
    )
}

fn choose(app: &TestApp, email: &str, fields: &[(&str, &str)]) {
    let mut client = app.signed_in(email);
    let response = client.post_form("/settings/notifications", fields);
    assert_eq!(response.status, 303, "{}", response.body);
    assert_eq!(
        response.header("location").as_deref(),
        Some("/settings/notifications?notice=saved")
    );
}

fn mode_of(app: &TestApp, email: &str) -> String {
    let customer = customer_id(app, email);
    app.with_connection(|conn| einblick::db::notification::preferences_of(conn, customer))
        .unwrap()
        .mode
        .code()
        .to_owned()
}

/// A server that composes and sends notifications, over `smtp` when given.
fn notifying_app(backend: Backend, smtp: Option<&str>, extra: &[(&str, &str)]) -> TestApp {
    let mut settings = vec![
        ("EINBLICK_NOTIFIER", "true"),
        ("EINBLICK_REFERENCE_SOURCES", RECORDS),
    ];
    if let Some(url) = smtp {
        settings.push(("EINBLICK_SMTP_URL", url));
    }
    settings.extend_from_slice(extra);
    TestApp::spawn_with(backend, &settings, true)
}

/// The keys and settings the server under test uses, to call the library directly.
fn settings_of(app: &TestApp) -> (Settings, LogKeys) {
    let env: BTreeMap<String, String> = [
        ("EINBLICK_OUTBOX_DIR", app.outbox.display().to_string()),
        (
            "EINBLICK_LOG_KEY_DIR",
            app.log_key_dir.display().to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let settings = Settings::from_sources(&BTreeMap::new(), &env).unwrap();
    let keys = LogKeys::load_or_create(
        &settings.transparency.key_dir,
        &settings.transparency.origin,
    )
    .unwrap();
    (settings, keys)
}

fn anna_is_alerted_in_her_language_and_unsubscribes_with_one_click(backend: Backend) {
    let smtp = Smtp::start(free_port(), 0.0);
    let app = notifying_app(backend, Some(&smtp.url()), &[]);
    let token = feed(&app);

    let mut anna = app.signed_in(ANNA);
    let page = anna.get("/settings/notifications");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Bei jedem Zugriff"), "{}", page.body);
    let default = page
        .body
        .split(r#"value="weekly_digest""#)
        .nth(1)
        .unwrap_or_default();
    assert!(
        default[..default.find('>').unwrap_or(0)].contains("checked"),
        "the quiet default is chosen"
    );
    choose(&app, ANNA, &[("mode", "every_access")]);
    assert_eq!(mode_of(&app, ANNA), "every_access");

    send_batch(
        &app,
        &token,
        &[access("alert-1", ANNA_REF, "purchase_history", None)],
    );
    eventually("the alert reaches the SMTP server", 60, || {
        !smtp.messages_to(ANNA).is_empty()
    });
    let mails = smtp.messages_to(ANNA);
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(mail.text.contains("Guten Tag"), "{}", mail.text);
    assert!(mail.text.contains("Bestellhistorie"), "{}", mail.text);
    assert!(mail.text.contains("Europe/Berlin"), "{}", mail.text);
    assert!(mail.html.contains("<html lang=\"de\">"));
    assert_eq!(
        mail.header("List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
    let id = row_id(&app, "alert-1");
    let timeline = mail.link("/timeline?");
    assert!(timeline.ends_with(&format!("#entry-{id}")), "{timeline}");
    let (path, _fragment) = timeline.split_once('#').unwrap();
    let entry = anna.get(path);
    assert_eq!(entry.status, 200);
    assert!(
        entry.body.contains(&format!("id=\"entry-{id}\"")),
        "the link leads to the entry"
    );
    let dispute = mail.link("/disputes/new?event=");
    assert_eq!(anna.get(&dispute).status, 200);

    // One click, no sign-in.
    let unsubscribe = mail.link("/unsubscribe?token=");
    assert!(mail
        .header("List-Unsubscribe")
        .contains(unsubscribe.as_str()));
    let done = app.client().get(&unsubscribe);
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Abbestellt"), "{}", done.body);
    assert_eq!(mode_of(&app, ANNA), "off");

    send_batch(
        &app,
        &token,
        &[access("alert-2", ANNA_REF, "purchase_history", None)],
    );
    eventually("the second access is judged", 30, || {
        judged(&app, "alert-2")
    });
    std::thread::sleep(Duration::from_secs(8));
    assert_eq!(
        smtp.messages_to(ANNA).len(),
        1,
        "no alert after unsubscribing"
    );
}

fn each_preference_decides_what_is_told(backend: Backend) {
    let smtp = Smtp::start(free_port(), 0.0);
    let app = notifying_app(backend, Some(&smtp.url()), &[]);
    let token = feed(&app);
    choose(&app, ANNA, &[("mode", "every_access")]);
    choose(&app, BEN, &[("mode", "unexplained_only")]);
    choose(
        &app,
        MARA,
        &[
            ("mode", "weekly_digest"),
            ("always_category", "payment_methods"),
        ],
    );
    choose(&app, LENA, &[("mode", "off")]);
    let ben_ref = "C-100043";
    let lena_ref = "C-100099";
    // Ben's ticket explains one look; the other names no ticket and has none. The explained
    // look is in the employee's shift (the latest 09:00 UTC past), whenever the test runs: at
    // night it would be flagged as outside the shift.
    let today_nine = Utc::now()
        .date_naive()
        .and_hms_opt(9, 0, 0)
        .unwrap()
        .and_utc();
    let in_shift = if today_nine < Utc::now() - chrono::Duration::minutes(5) {
        today_nine
    } else {
        today_nine - chrono::Duration::days(1)
    };
    let opened = (in_shift - chrono::Duration::hours(2)).to_rfc3339();
    let ticket = json!({
        "specversion": "1.0", "id": "ctx-ben", "source": RECORDS, "type": "einblick.context.v1",
        "time": opened,
        "data": {
            "customer_ref": ben_ref, "kind": "support_ticket", "reference": "T-4242",
            "opened_at": opened,
            "assigned_team": "Support Berlin"
        }
    });
    send_batch(&app, &token, &[ticket]);
    let in_shift = in_shift.to_rfc3339();
    let mut explained = access(
        "ben-explained",
        ben_ref,
        "purchase_history",
        Some(&in_shift),
    );
    explained["data"]["ticket_ref"] = json!("T-4242");
    send_batch(
        &app,
        &token,
        &[
            access("anna-1", ANNA_REF, "addresses", None),
            explained,
            by_fraud_team("ben-unexplained", ben_ref),
            access("mara-purchases", MARA_REF, "purchase_history", None),
            access("mara-payment", MARA_REF, "payment_methods", None),
            access("lena-1", lena_ref, "payment_methods", None),
        ],
    );
    eventually("Anna, Ben and Mara are told", 60, || {
        !smtp.messages_to(ANNA).is_empty()
            && !smtp.messages_to(BEN).is_empty()
            && !smtp.messages_to(MARA).is_empty()
    });
    std::thread::sleep(Duration::from_secs(8));
    let only = |email: &str| {
        let mails = smtp.messages_to(email);
        assert_eq!(mails.len(), 1, "{email}: one email");
        mails.into_iter().next().unwrap()
    };
    let link = |event: &str| format!("/disputes/new?event={}", row_id(&app, event));
    assert!(only(ANNA).text.contains(&link("anna-1")));
    let ben = only(BEN);
    assert!(ben.text.contains(&link("ben-unexplained")), "{}", ben.text);
    assert!(!ben.text.contains(&link("ben-explained")), "{}", ben.text);
    let mara = only(MARA);
    assert!(mara.text.contains(&link("mara-payment")));
    assert!(!mara.text.contains(&link("mara-purchases")));
    assert!(smtp.messages_to(LENA).is_empty(), "Lena chose no emails");
}

/// A look by the fraud team, which no support ticket explains.
fn by_fraud_team(id: &str, customer_ref: &str) -> Value {
    let mut event = access(id, customer_ref, "invoices", None);
    event["data"]["actor"]["role"] = json!("fraud_analyst");
    event["data"]["reason"]["code"] = json!("payment_and_fraud");
    event
}

fn a_burst_of_fifty_accesses_is_one_email(backend: Backend) {
    let smtp = Smtp::start(free_port(), 0.0);
    let app = notifying_app(backend, Some(&smtp.url()), &[]);
    let token = feed(&app);
    choose(&app, ANNA, &[("mode", "every_access")]);
    let burst: Vec<Value> = (0..50)
        .map(|i| access(&format!("burst-{i}"), ANNA_REF, "purchase_history", None))
        .collect();
    send_batch(&app, &token, &burst[..20]);
    send_batch(&app, &token, &burst[20..]);
    eventually("the burst is told", 60, || {
        !smtp.messages_to(ANNA).is_empty()
    });
    std::thread::sleep(Duration::from_secs(8));
    let mails = smtp.messages_to(ANNA);
    assert_eq!(mails.len(), 1, "one email for the burst");
    assert_eq!(mails[0].text.matches("/disputes/new?event=").count(), 50);
}

fn the_weekly_digest_counts_by_role_and_category_and_lists_the_unexplained(backend: Backend) {
    let app = TestApp::spawn(backend);
    let token = feed(&app);
    let (settings, keys) = settings_of(&app);
    let now = Utc::now().naive_utc();
    let week = einblick::notifications::digest::due_week(now);
    let day = |d: i64, h: u32| {
        (week + chrono::Duration::days(d))
            .and_hms_opt(h, 0, 0)
            .unwrap()
            .and_utc()
            .to_rfc3339()
    };
    let mut by_fraud = access("w-3", MARA_REF, "payment_methods", Some(&day(2, 10)));
    by_fraud["data"]["actor"]["role"] = json!("fraud_analyst");
    send_batch(
        &app,
        &token,
        &[
            access("w-1", MARA_REF, "purchase_history", Some(&day(0, 9))),
            access("w-2", MARA_REF, "purchase_history", Some(&day(1, 9))),
            by_fraud,
        ],
    );
    eventually("the week's accesses are judged", 30, || judged(&app, "w-3"));
    // Ben asked for quiet weeks too; Lena did not; neither had an access that week.
    choose(
        &app,
        BEN,
        &[("mode", "weekly_digest"), ("quiet_weeks", "on")],
    );
    choose(&app, ANNA, &[("mode", "every_access")]);

    let round = app
        .with_connection(|conn| einblick::notifications::round(conn, &settings, &keys, "test", now))
        .unwrap();
    assert!(round.digests_queued >= 2, "{round:?}");
    let digests: Vec<_> = app
        .outbox_emails()
        .into_iter()
        .filter(|e| e.notice == "digest")
        .collect();
    let to = |email: &str| digests.iter().filter(|d| d.to == email).collect::<Vec<_>>();
    let mara = to(MARA);
    assert_eq!(mara.len(), 1);
    let text = &mara[0].text;
    assert!(text.contains("3-mal"), "{text}");
    assert!(text.contains("Bestellhistorie: 2"), "{text}");
    assert!(text.contains("Zahlungsdaten: 1"), "{text}");
    assert!(text.contains("Betrugsprävention: 1"), "{text}");
    assert!(
        text.contains(&format!("/disputes/new?event={}", row_id(&app, "w-1"))),
        "the unexplained are listed: {text}"
    );
    let ben = to(BEN);
    assert_eq!(ben.len(), 1, "Ben asked for quiet weeks");
    assert!(ben[0].text.contains("niemand"), "{}", ben[0].text);
    assert!(to(LENA).is_empty(), "a quiet week is not sent unasked");
    assert!(to(ANNA).is_empty(), "Anna chose alerts, not the digest");

    // A second round queues no second digest for the week.
    let again = app
        .with_connection(|conn| einblick::notifications::round(conn, &settings, &keys, "test", now))
        .unwrap();
    assert_eq!(again.digests_queued, 0);
}

fn changed_or_expired_unsubscribe_links_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend);
    let (_, keys) = settings_of(&app);
    choose(&app, ANNA, &[("mode", "every_access")]);
    let anna = customer_id(&app, ANNA);
    let now = Utc::now().naive_utc();

    let expired = UnsubscribeToken::new(anna, now - chrono::Duration::days(91)).encode(&keys);
    let response = app.client().get(&format!("/unsubscribe?token={expired}"));
    assert_eq!(response.status, 410);
    assert!(response.body.contains("abgelaufen"), "{}", response.body);

    let valid = UnsubscribeToken::new(anna, now).encode(&keys);
    let ben = customer_id(&app, BEN);
    let (_, rest) = valid.split_once('.').unwrap();
    for forged in [
        format!("{}.{rest}", ben.0),
        format!("{}x", &valid[..valid.len() - 1]),
        "42.1.abc".to_owned(),
        String::new(),
    ] {
        let response = app.client().get(&format!("/unsubscribe?token={forged}"));
        assert_eq!(response.status, 400, "{forged}");
        assert!(response.body.contains("verändert"), "{}", response.body);
    }
    assert_eq!(mode_of(&app, ANNA), "every_access", "nothing changed");
    assert_eq!(mode_of(&app, BEN), "weekly_digest", "nothing changed");

    // RFC 8058: the mail client posts, without cookies or an Origin.
    let response = app.client().post_raw(
        &format!("/unsubscribe?token={valid}"),
        "application/x-www-form-urlencoded",
        b"List-Unsubscribe=One-Click",
        &[],
    );
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(mode_of(&app, ANNA), "off");
    // The page's undo restores the previous choice, and only that.
    let undo = response
        .body
        .split(r#"name="token" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("an undo button")
        .to_owned();
    let widened = app.client().post_form(
        "/unsubscribe/undo",
        &[("token", valid.as_str()), ("mode", "every_access")],
    );
    assert_eq!(widened.status, 400, "the unsubscribe link is no undo token");
    assert_eq!(mode_of(&app, ANNA), "off");
    let response = app
        .client()
        .post_form("/unsubscribe/undo", &[("token", undo.as_str())]);
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(mode_of(&app, ANNA), "every_access");
}

/// A server sending over SMTP at `port`, retrying after a second, with Anna on `every_access`
/// and one access to her data sent as `event_id`.
fn anna_alerted_over(backend: Backend, port: u16, event_id: &str) -> TestApp {
    let app = notifying_app(
        backend,
        Some(&format!("smtp://127.0.0.1:{port}")),
        &[("EINBLICK_EMAIL_RETRY_SECONDS", "1")],
    );
    let token = feed(&app);
    choose(&app, ANNA, &[("mode", "every_access")]);
    send_batch(
        &app,
        &token,
        &[access(event_id, ANNA_REF, "purchase_history", None)],
    );
    app
}

fn emails_wait_while_smtp_is_down_and_go_out_when_it_is_back(backend: Backend) {
    let port = free_port();
    let app = anna_alerted_over(backend, port, "down-1");
    let attempts = || {
        app.with_connection(|conn| {
            email_outbox::table
                .select((email_outbox::attempts, email_outbox::sent_at.is_not_null()))
                .load::<(i32, bool)>(conn)
        })
        .unwrap()
    };
    eventually("a try fails while the server is down", 60, || {
        attempts().first().is_some_and(|(tries, _)| *tries >= 1)
    });
    let smtp = Smtp::start(port, 0.0);
    eventually("the alert goes out once the server is back", 60, || {
        smtp.messages_to(ANNA).len() == 1
    });
    eventually("it is marked sent", 10, || {
        attempts().iter().all(|(_, sent)| *sent)
    });
    assert_eq!(attempts().len(), 1);
}

fn a_sender_killed_mid_batch_loses_no_email(backend: Backend) {
    let database = ScratchDatabase::new(backend);
    let db = einblick::db::Database::connect(database.location.clone(), 2).unwrap();
    db.migrate().unwrap();
    let now = Utc::now().naive_utc();
    let count = 12;
    {
        let mut conn = db.get().unwrap();
        for i in 0..count {
            let message = format!(
                "From: test@einblick.example\r\nTo: kill-{i}@example.org\r\nSubject: {i}\r\n\
                 Message-ID: <kill-{i}@einblick.test>\r\n\r\nMessage {i}\r\n"
            );
            einblick::db::email_outbox::queue(
                &mut conn,
                &einblick::db::email_outbox::NewOutboxEmail {
                    customer_id: None,
                    kind: "alert".into(),
                    dedupe_key: None,
                    recipient: format!("kill-{i}@example.org"),
                    message,
                    queued_at: now,
                    next_attempt_at: now,
                },
            )
            .unwrap();
        }
    }
    let smtp = Smtp::start(free_port(), 0.7);
    let url = database.url();
    // Both processes keep one log, so they hold its keys (`transparency::identity`).
    let keys = tempfile_dir::TempDir::new(&format!("{}_log_keys", unique_name()));
    let key_dir = keys.0.to_string_lossy().into_owned();
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("EINBLICK_SMTP_URL", &smtp.url()),
        ("EINBLICK_LOG_KEY_DIR", &key_dir),
    ];
    let first = ServedBinary::start(&[], &env).expect("serves");
    eventually("the sender is half way", 60, || smtp.messages().len() >= 3);
    drop(first); // SIGKILL
    let received_before = smtp.messages().len();
    assert!(received_before < count, "killed mid-batch");

    let _second = ServedBinary::start(&[], &env).expect("serves again");
    let sent = || {
        let mut conn = db.get().unwrap();
        email_outbox::table
            .filter(email_outbox::sent_at.is_not_null())
            .count()
            .get_result::<i64>(&mut *conn)
            .unwrap()
    };
    eventually("the second sender sends the rest", 150, || {
        sent() == count as i64
    });
    let ids: Vec<String> = smtp
        .messages()
        .iter()
        .map(|m| m.header("Message-ID"))
        .collect();
    for i in 0..count {
        assert!(
            ids.contains(&format!("<kill-{i}@einblick.test>")),
            "email {i} was lost: {ids:?}"
        );
    }
    assert!(
        ids.len() <= count + 1,
        "at most the email in flight is sent twice: {ids:?}"
    );
}

fn sent_emails_are_emptied_after_thirty_days(backend: Backend) {
    use einblick::db::email_outbox::{self as outbox, NewOutboxEmail};
    let app = TestApp::spawn_with(backend, &[], false);
    let now = Utc::now().naive_utc();
    let long_ago = now - chrono::Duration::days(31);
    let rows = app.with_connection(|conn| {
        for (n, queued_at) in [long_ago, long_ago, now].into_iter().enumerate() {
            outbox::queue(
                conn,
                &NewOutboxEmail {
                    customer_id: None,
                    kind: "alert".into(),
                    dedupe_key: None,
                    recipient: format!("old-{n}@example.org"),
                    message: format!("Message {n}"),
                    queued_at,
                    next_attempt_at: queued_at,
                },
            )
            .unwrap();
        }
        let ids: Vec<i64> = email_outbox::table
            .order(email_outbox::id)
            .select(email_outbox::id)
            .load(conn)
            .unwrap();
        // The first was sent a month ago, the second is still waiting, the third was sent now.
        outbox::mark_sent(conn, ids[0], long_ago).unwrap();
        outbox::mark_sent(conn, ids[2], now).unwrap();
        let forgotten = outbox::forget_old(
            conn,
            now - chrono::Duration::days(einblick::notifications::KEEP_SENT_DAYS),
        )
        .unwrap();
        assert_eq!(forgotten, 1);
        email_outbox::table
            .order(email_outbox::id)
            .select((email_outbox::recipient, email_outbox::message))
            .load::<(String, String)>(conn)
            .unwrap()
    });
    assert_eq!(
        rows[0],
        (String::new(), String::new()),
        "sent a month ago: emptied"
    );
    assert_eq!(rows[1].1, "Message 1", "still waiting: kept");
    assert_eq!(rows[2].1, "Message 2", "sent today: kept");
}

fn an_address_the_server_refuses_is_given_up_at_once(backend: Backend) {
    let port = free_port();
    let mut refusing = Command::new("python3")
        .args(["-c", REFUSING_SMTP, &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 with aiosmtpd (bash .ci/setup --test installs it)");
    eventually("the refusing server listens", 20, || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let app = anna_alerted_over(backend, port, "refused-1");
    let state = || {
        app.with_connection(|conn| {
            email_outbox::table
                .select((
                    email_outbox::attempts,
                    email_outbox::failed_at.is_not_null(),
                    email_outbox::last_error,
                ))
                .load::<(i32, bool, Option<String>)>(conn)
        })
        .unwrap()
    };
    eventually("the refusal is recorded", 60, || {
        state().first().is_some_and(|(_, failed, _)| *failed)
    });
    std::thread::sleep(Duration::from_secs(3));
    let rows = state();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, 1, "not tried again");
    let error = rows[0].2.clone().unwrap_or_default();
    assert!(error.contains("550"), "{error}");
    assert!(
        !error.contains("anna@"),
        "the address is not kept in the error: {error}"
    );
    let _ = refusing.kill();
    let _ = refusing.wait();
}
