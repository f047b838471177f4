//! `TestApp`: a real Einblick server on a fresh database, and a cookie-keeping HTTP client.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};

use diesel::connection::SimpleConnection;
use diesel::Connection;
use einblick::config::Settings;
use einblick::db::{Database, DatabaseLocation};
use einblick::http::stall_guard::STALLED_HEADER;
use einblick::http::BackgroundServer;
use einblick::seed::demo;
use einblick::state::AppState;

/// Runs a test body once per backend: `both_backends!(name)` expects `fn name(backend: Backend)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[test]
                fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite)
                }
                #[test]
                fn postgres() {
                    super::$name($crate::helpers::Backend::Postgres)
                }
            }
        )+
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const DEMO_PASSWORD: &str = demo::DEMO_PASSWORD;
pub const ANNA: &str = "anna@example.com";
pub const ANNA_REF: &str = "C-100042";
pub const BEN: &str = "ben@example.com";
pub const MARA: &str = "mara@example.com";
pub const MARA_REF: &str = "C-100001";
pub const LENA: &str = "lena@example.com";

/// The PostgreSQL server the tests create their databases on.
fn postgres_admin_url() -> String {
    std::env::var("EINBLICK_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A database that exists for one test and is removed afterwards.
enum FreshDatabase {
    Sqlite { _dir: tempfile_dir::TempDir },
    Postgres { name: String },
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        if let FreshDatabase::Postgres { name } = self {
            if let Ok(mut admin) = diesel::PgConnection::establish(&postgres_admin_url()) {
                let _ = admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
            }
        }
    }
}

/// A tiny self-deleting temporary directory (keeps the dependency tree lean).
pub mod tempfile_dir {
    pub struct TempDir(pub std::path::PathBuf);
    impl TempDir {
        pub fn new(label: &str) -> Self {
            let path = std::env::temp_dir().join(label);
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).expect("create temp dir");
            Self(path)
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

pub fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("einblick_test_{}_{n}_{nanos}", std::process::id())
}

/// The `DATABASE_URL` that reaches `location`, for tests that run the binary.
pub fn url_of(location: &DatabaseLocation) -> String {
    match location {
        DatabaseLocation::Sqlite(path) => format!("sqlite://{}", path.display()),
        DatabaseLocation::Postgres(url) => url.clone(),
    }
}

fn fresh_database(backend: Backend) -> (FreshDatabase, DatabaseLocation) {
    let name = unique_name();
    match backend {
        Backend::Sqlite => {
            let dir = tempfile_dir::TempDir::new(&name);
            let location = DatabaseLocation::Sqlite(dir.0.join("einblick.sqlite3"));
            (FreshDatabase::Sqlite { _dir: dir }, location)
        }
        Backend::Postgres => {
            postgres_admin()
                .batch_execute(&format!("CREATE DATABASE \"{name}\""))
                .expect("create test database");
            owned_postgres_database(name)
        }
    }
}

/// A fresh copy of `template` for one test.
fn database_copied_from(template: &Template) -> (FreshDatabase, DatabaseLocation) {
    let name = unique_name();
    match &template.source {
        TemplateSource::Sqlite { file, .. } => {
            let dir = tempfile_dir::TempDir::new(&name);
            let path = dir.0.join("einblick.sqlite3");
            std::fs::copy(file, &path).expect("copy the template database");
            (
                FreshDatabase::Sqlite { _dir: dir },
                DatabaseLocation::Sqlite(path),
            )
        }
        TemplateSource::Postgres { name: source } => {
            postgres_admin()
                .batch_execute(&format!("CREATE DATABASE \"{name}\" TEMPLATE \"{source}\""))
                .expect("copy the template database");
            owned_postgres_database(name)
        }
    }
}

fn postgres_admin() -> diesel::PgConnection {
    diesel::PgConnection::establish(&postgres_admin_url())
        .expect("PostgreSQL must run on 127.0.0.1:5432 (see README: test command)")
}

/// The existing database `name`, removed when the test that holds it ends.
fn owned_postgres_database(name: String) -> (FreshDatabase, DatabaseLocation) {
    let location = postgres_location(&name);
    (FreshDatabase::Postgres { name }, location)
}

fn postgres_location(name: &str) -> DatabaseLocation {
    let mut url = url::Url::parse(&postgres_admin_url()).expect("admin url");
    url.set_path(name);
    DatabaseLocation::Postgres(url.to_string())
}

/// A database migrated, and seeded with the demo data if asked, once per test process; each
/// test gets a copy. Migrating and seeding anew took most of a test's time, and brought the
/// suite's run near CI's limit.
struct Template {
    source: TemplateSource,
    /// The log keys the demo data was written with: a test that copies a seeded template
    /// serves with copies of them.
    key_dir: tempfile_dir::TempDir,
    /// The log's origin the keys were made for.
    origin: String,
}

enum TemplateSource {
    Sqlite {
        file: std::path::PathBuf,
        _dir: tempfile_dir::TempDir,
    },
    Postgres {
        name: String,
    },
}

/// Names start with this and end with the test process's id, so that a later run can remove
/// what a killed run left (a process's statics are never dropped).
const TEMPLATE_PREFIX: &str = "einblick_template_";

/// Each template's backend, whether it holds the demo data, and its name's kind.
const TEMPLATE_KINDS: [(Backend, bool, &str); 4] = [
    (Backend::Sqlite, false, "sqlitemigrated"),
    (Backend::Sqlite, true, "sqliteseeded"),
    (Backend::Postgres, false, "postgresmigrated"),
    (Backend::Postgres, true, "postgresseeded"),
];

fn template(backend: Backend, seeded: bool) -> &'static Template {
    static TEMPLATES: [std::sync::OnceLock<Template>; 4] =
        [const { std::sync::OnceLock::new() }; 4];
    let slot = TEMPLATE_KINDS
        .iter()
        .position(|&(b, s, _)| b == backend && s == seeded)
        .expect("every backend has a migrated and a seeded template");
    TEMPLATES[slot].get_or_init(|| Template::build(backend, seeded, TEMPLATE_KINDS[slot].2))
}

impl Template {
    fn build(backend: Backend, seeded: bool, kind: &str) -> Template {
        remove_templates_of_ended_runs(backend);
        let name = format!("{TEMPLATE_PREFIX}{kind}_{}", std::process::id());
        let key_dir = tempfile_dir::TempDir::new(&format!("{name}_log_keys"));
        let mut env = BTreeMap::new();
        env.insert(
            "EINBLICK_LOG_KEY_DIR".to_owned(),
            key_dir.0.display().to_string(),
        );
        let settings = Settings::from_sources(&BTreeMap::new(), &env).expect("template settings");
        let (build_dir, location) = match backend {
            Backend::Sqlite => {
                let dir = tempfile_dir::TempDir::new(&name);
                let location = DatabaseLocation::Sqlite(dir.0.join("build.sqlite3"));
                (Some(dir), location)
            }
            Backend::Postgres => {
                // One statement each: several in one call run as one transaction, which
                // neither may run in.
                let mut admin = postgres_admin();
                admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .expect("remove an old template database");
                admin
                    .batch_execute(&format!("CREATE DATABASE \"{name}\""))
                    .expect("create the template database");
                // The template lives as long as the process; a later run removes it.
                (None, postgres_location(&name))
            }
        };
        let db = Database::connect(location, 2).expect("connect to the template");
        db.migrate().expect("migrate the template");
        if seeded {
            let keys = einblick::transparency::LogKeys::load_or_create(
                &settings.transparency.key_dir,
                &settings.transparency.origin,
            )
            .expect("log keys");
            demo::seed(&db, &keys).expect("seed the template");
        }
        let source = match build_dir {
            Some(dir) => {
                // One self-contained file, whatever the write-ahead log still holds.
                let file = dir.0.join("template.sqlite3");
                db.get()
                    .expect("connection")
                    .batch_execute(&format!("VACUUM INTO '{}'", file.display()))
                    .expect("write the template file");
                TemplateSource::Sqlite { file, _dir: dir }
            }
            None => TemplateSource::Postgres { name },
        };
        // PostgreSQL copies a database only while nobody is connected to it.
        drop(db);
        Template {
            source,
            key_dir,
            origin: settings.transparency.origin,
        }
    }

    /// Puts copies of the keys the template was seeded with into `dir`.
    fn copy_keys_to(&self, dir: &std::path::Path) {
        std::fs::create_dir_all(dir).expect("log key folder");
        for entry in std::fs::read_dir(&self.key_dir.0).expect("template keys") {
            let entry = entry.expect("template key");
            std::fs::copy(entry.path(), dir.join(entry.file_name())).expect("copy a log key");
        }
    }
}

/// Removes the templates (databases and folders) of test processes that have ended.
fn remove_templates_of_ended_runs(backend: Backend) {
    let ended = |name: &str| {
        name.strip_prefix(TEMPLATE_PREFIX)
            .and_then(|rest| rest.split('_').nth(1))
            .and_then(|pid| pid.parse::<u32>().ok())
            .is_some_and(|pid| {
                pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists()
            })
    };
    if let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) {
        for entry in entries.filter_map(Result::ok) {
            if entry.file_name().to_str().is_some_and(ended) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    if backend == Backend::Postgres {
        #[derive(diesel::QueryableByName)]
        struct Named {
            #[diesel(sql_type = diesel::sql_types::Text)]
            datname: String,
        }
        let mut admin = postgres_admin();
        let names: Vec<Named> = diesel::RunQueryDsl::load(
            diesel::sql_query(format!(
                "SELECT datname FROM pg_database WHERE datname LIKE '{TEMPLATE_PREFIX}%'"
            )),
            &mut admin,
        )
        .expect("list template databases");
        for Named { datname } in names.into_iter().filter(|n| ended(&n.datname)) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{datname}\" WITH (FORCE)"
            ));
        }
    }
}

/// A fresh, empty database that is removed when dropped; for tests that run the binary.
pub struct ScratchDatabase {
    pub location: DatabaseLocation,
    _database: FreshDatabase,
}

impl ScratchDatabase {
    pub fn new(backend: Backend) -> Self {
        let (database, location) = fresh_database(backend);
        Self {
            location,
            _database: database,
        }
    }

    pub fn url(&self) -> String {
        url_of(&self.location)
    }
}

pub struct TestApp {
    pub base_url: String,
    pub db: Database,
    /// Where this server writes customer emails.
    pub outbox: std::path::PathBuf,
    /// Where the server keeps the verifiable log's keys.
    pub log_key_dir: std::path::PathBuf,
    /// The server's log keys: what a test needs to write events as the server would.
    pub keys: std::sync::Arc<einblick::transparency::LogKeys>,
    _server: BackgroundServer,
    _database: FreshDatabase,
    _outbox: tempfile_dir::TempDir,
    _log_keys: tempfile_dir::TempDir,
}

pub const ANALYST: &str = "analyst@einblick.example";
pub const LEAD: &str = "lead@einblick.example";
pub const REGULATOR: &str = "regulator@einblick.example";
pub const ADMIN: &str = "admin@einblick.example";

/// An email the server wrote to its outbox, decoded.
#[derive(Debug, Clone)]
pub struct OutboxEmail {
    pub to: String,
    pub notice: String,
    pub reference: String,
    pub text: String,
    pub html: String,
}

impl TestApp {
    /// A server with the demo data loaded.
    pub fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, &[], true)
    }

    /// A server with extra settings (as environment variables would give them).
    pub fn spawn_with(
        backend: Backend,
        overrides: &[(&str, &str)],
        with_demo_data: bool,
    ) -> TestApp {
        let outbox = tempfile_dir::TempDir::new(&format!("{}_outbox", unique_name()));
        let mut env: BTreeMap<String, String> = overrides
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        env.entry("LEPTOS_SITE_ADDR".into())
            .or_insert_with(|| "127.0.0.1:0".into());
        // Lets a run of the suite switch the stall guard off (see server/src/http/stall_guard.rs).
        if let Ok(seconds) = std::env::var("EINBLICK_PAGE_TIMEOUT_SECONDS") {
            env.entry("EINBLICK_PAGE_TIMEOUT_SECONDS".into())
                .or_insert(seconds);
        }
        env.insert("EINBLICK_DB_POOL_SIZE".into(), "4".into());
        env.insert("EINBLICK_LOG".into(), "warn".into());
        // Tests that are about notifications switch the sender on; others count their emails.
        env.entry("EINBLICK_NOTIFIER".into())
            .or_insert_with(|| "false".into());
        env.entry("EINBLICK_OUTBOX_DIR".into())
            .or_insert_with(|| outbox.0.display().to_string());
        let log_keys = tempfile_dir::TempDir::new(&format!("{}_log_keys", unique_name()));
        env.entry("EINBLICK_LOG_KEY_DIR".into())
            .or_insert_with(|| log_keys.0.display().to_string());
        let mut settings = Settings::from_sources(&BTreeMap::new(), &env).expect("test settings");
        // A seeded copy serves only with the keys its data was written with; a test that brings
        // its own keys gets its demo data written with them.
        let own_keys = overrides
            .iter()
            .any(|(name, _)| *name == "EINBLICK_LOG_KEY_DIR");
        let seeded = (with_demo_data && !own_keys)
            .then(|| template(backend, true))
            .filter(|seeded| seeded.origin == settings.transparency.origin);
        let copies_seeded = seeded.is_some();
        let (database, location) = match seeded {
            Some(seeded) => {
                seeded.copy_keys_to(&settings.transparency.key_dir);
                database_copied_from(seeded)
            }
            None => database_copied_from(template(backend, false)),
        };
        settings.database = location.clone();

        let db = Database::connect(location, settings.db_pool_size).expect("connect");
        db.migrate().expect("migrate");
        if with_demo_data {
            let keys = einblick::transparency::LogKeys::load_or_create(
                &settings.transparency.key_dir,
                &settings.transparency.origin,
            )
            .expect("log keys");
            let outcome = demo::seed(&db, &keys).expect("seed demo data");
            // A copy that lost the demo data would be seeded here again, and every test would
            // pass while the copying saved nothing.
            assert_eq!(
                copies_seeded,
                outcome == demo::SeedOutcome::AlreadyPresent,
                "the seeded template's copy holds the demo data"
            );
        }
        let state = AppState::new(db.clone(), settings).expect("log keys");
        einblick::transparency::identity::claim(
            &mut db.get().expect("connection"),
            &state.log_keys,
            chrono::Utc::now().naive_utc(),
        )
        .expect("the log's keys are recorded");
        let keys = state.log_keys.clone();
        let server = BackgroundServer::start(state).expect("server starts");
        TestApp {
            base_url: format!("http://{}", server.addr),
            db,
            outbox: outbox.0.clone(),
            log_key_dir: log_keys.0.clone(),
            keys,
            _server: server,
            _database: database,
            _outbox: outbox,
            _log_keys: log_keys,
        }
    }

    pub fn client(&self) -> Client {
        Client::new(&self.base_url)
    }

    /// A client signed in as `email` with the demo password.
    pub fn signed_in(&self, email: &str) -> Client {
        let mut client = self.client();
        let response = client.post_form("/login", &[("email", email), ("password", DEMO_PASSWORD)]);
        assert_eq!(
            response.status, 303,
            "sign-in as {email} failed: {}",
            response.body
        );
        assert_eq!(response.header("location").as_deref(), Some("/timeline"));
        client
    }

    /// A client signed in to the back office as `email` with the demo password.
    pub fn staff_signed_in(&self, email: &str) -> Client {
        let mut client = self.client();
        let response = client.post_form(
            "/staff/login",
            &[("email", email), ("password", DEMO_PASSWORD)],
        );
        assert_eq!(response.status, 303, "staff sign-in as {email} failed");
        let home = match email {
            ADMIN => "/staff/admin/feed",
            REGULATOR => "/staff/regulator",
            _ => "/staff",
        };
        assert_eq!(response.header("location").as_deref(), Some(home));
        client
    }

    /// Every email in the outbox, oldest first.
    pub fn outbox_emails(&self) -> Vec<OutboxEmail> {
        use base64::Engine;
        let Ok(entries) = std::fs::read_dir(&self.outbox) else {
            return Vec::new();
        };
        let mut files: Vec<_> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|path| {
                let raw = std::fs::read_to_string(&path).unwrap();
                let header = |name: &str| {
                    raw.lines()
                        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
                        .unwrap_or_default()
                        .trim()
                        .to_owned()
                };
                let boundary = header("Content-Type")
                    .split("boundary=\"")
                    .nth(1)
                    .unwrap()
                    .trim_end_matches('"')
                    .to_owned();
                let parts: Vec<String> = raw
                    .split(&format!("--{boundary}"))
                    .skip(1)
                    .filter(|p| !p.starts_with("--"))
                    .map(|part| {
                        let body = part.split("\r\n\r\n").nth(1).unwrap_or_default();
                        let compact: String = body.split_whitespace().collect();
                        String::from_utf8(
                            base64::engine::general_purpose::STANDARD
                                .decode(compact)
                                .unwrap(),
                        )
                        .unwrap()
                    })
                    .collect();
                OutboxEmail {
                    to: header("To"),
                    notice: header("X-Einblick-Notice"),
                    reference: header("X-Einblick-Reference"),
                    text: parts[0].clone(),
                    html: parts[1].clone(),
                }
            })
            .collect()
    }

    pub fn with_connection<T>(
        &self,
        work: impl FnOnce(&mut einblick::db::AnyConnection) -> T,
    ) -> T {
        let mut conn = self.db.get().expect("connection");
        work(&mut conn)
    }
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy for binary bodies; see `bytes`).
    pub body: String,
    pub bytes: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }

    pub fn headers_named(&self, name: &str) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// A browser-like client: keeps cookies, sends `Origin` on posts, never follows redirects.
pub struct Client {
    base_url: String,
    agent: ureq::Agent,
    pub cookies: BTreeMap<String, String>,
    pub accept_language: String,
}

impl Client {
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.to_owned(),
            // A response that never ends fails its test with the request named instead of
            // stalling the whole suite.
            agent: ureq::AgentBuilder::new()
                .redirects(0)
                .timeout(std::time::Duration::from_secs(90))
                .build(),
            cookies: BTreeMap::new(),
            accept_language: "de-DE,de;q=0.9".into(),
        }
    }

    pub fn get(&mut self, path: &str) -> Response {
        // Browsers ask for HTML; leptos answers a redirect with a real 302 only then.
        let (agent, url) = (self.agent.clone(), format!("{}{path}", self.base_url));
        let request = || agent.get(&url).set("Accept", "text/html,*/*;q=0.8");
        let response = self.send(request(), None);
        // The server answers a page render that stalls (see server/src/http/stall_guard.rs)
        // with a 503 asking to reload; a person reloads.
        if response.status == 503 && response.header(STALLED_HEADER).is_some() {
            eprintln!("GET {path} stalled on the server; reloading once, as a person would");
            return self.send(request(), None);
        }
        response
    }

    /// A browser-like GET with extra headers (fetch metadata, forwarding headers).
    pub fn get_with(&mut self, path: &str, headers: &[(&str, &str)]) -> Response {
        let mut request = self
            .agent
            .get(&format!("{}{path}", self.base_url))
            .set("Accept", "text/html,*/*;q=0.8");
        for (name, value) in headers {
            request = request.set(name, value);
        }
        self.send(request, None)
    }

    pub fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let request = self
            .agent
            .post(&format!("{}{path}", self.base_url))
            .set("Origin", &self.base_url);
        self.send(request, Some(fields))
    }

    /// A post with arbitrary extra headers (for forged cross-origin requests).
    pub fn post_form_with(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Response {
        let mut request = self.agent.post(&format!("{}{path}", self.base_url));
        for (name, value) in headers {
            request = request.set(name, value);
        }
        self.send(request, Some(fields))
    }

    /// A raw post, as a feed sender (not a browser) makes it.
    pub fn post_raw(
        &mut self,
        path: &str,
        content_type: &str,
        body: &[u8],
        headers: &[(&str, &str)],
    ) -> Response {
        let mut request = self
            .agent
            .post(&format!("{}{path}", self.base_url))
            .set("Content-Type", content_type);
        for (name, value) in headers {
            request = request.set(name, value);
        }
        let response = match request.send_bytes(body) {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("request failed: {e}"),
        };
        let status = response.status();
        let headers = response
            .headers_names()
            .into_iter()
            .filter_map(|name| response.header(&name).map(|v| (name.clone(), v.to_owned())))
            .collect();
        let bytes = read_body(response);
        Response {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    }

    fn send(&mut self, mut request: ureq::Request, form: Option<&[(&str, &str)]>) -> Response {
        request = request.set("Accept-Language", &self.accept_language);
        if !self.cookies.is_empty() {
            let cookie = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            request = request.set("Cookie", &cookie);
        }
        let result = match form {
            Some(fields) => request.send_form(fields),
            None => request.call(),
        };
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("request failed: {e}"),
        };
        let status = response.status();
        let headers: Vec<(String, String)> = response
            .headers_names()
            .into_iter()
            .flat_map(|name| {
                response
                    .all(&name)
                    .into_iter()
                    .map(|v| (name.clone(), v.to_owned()))
                    .collect::<Vec<_>>()
            })
            .collect();
        let bytes = read_body(response);
        let response = Response {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        };
        for set_cookie in response.headers_named("set-cookie") {
            let pair = set_cookie.split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=') {
                let expired = set_cookie.to_ascii_lowercase().contains("max-age=0");
                if value.is_empty() || expired {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        response
    }
}

fn read_body(response: ureq::Response) -> Vec<u8> {
    use std::io::Read;
    let mut bytes = Vec::new();
    response
        .into_reader()
        .read_to_end(&mut bytes)
        .expect("response body");
    bytes
}

/// Every page of the JSON timeline for the signed-in customer, following `next_cursor`.
pub fn all_api_items(client: &mut Client, filters: &str) -> Vec<serde_json::Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/me/access-events?limit=200&{filters}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let response = client.get(&path);
        assert_eq!(response.status, 200, "{}", response.body);
        let page = response.json();
        items.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return items,
        }
    }
}

/// Inserts one extra event directly, as the feed would.
pub fn insert_event(
    app: &TestApp,
    customer_ref: &str,
    event_id: &str,
    role: &str,
    occurred_at: chrono::NaiveDateTime,
    visible_from: Option<chrono::NaiveDateTime>,
) {
    let mut event = einblick::db::access_event::NewAccessEvent {
        source: "/test/feed".into(),
        event_id: event_id.into(),
        occurred_at,
        received_at: occurred_at,
        customer_ref: customer_ref.into(),
        employee_id: "E-9999".into(),
        role_code: role.into(),
        team: Some("Test Team".into()),
        office_country: Some("DE".into()),
        data_category: "purchase_history".into(),
        action: "view".into(),
        reason_code: "customer_request".into(),
        reason_text: Some(format!("test event {event_id}")),
        ticket_ref: Some(format!("T-{event_id}")),
        system: Some("support-console".into()),
        content_sha256: String::new(),
        visible_from,
    };
    event.compute_content_hash();
    let hasher = einblick::transparency::leaf::chain_hasher(&app.keys);
    app.with_connection(|conn| einblick::db::access_event::insert_new(conn, &[event], &hasher))
        .expect("insert event");
}

/// Runs a helper program the tests use as an independent check (Python, poppler) and returns
/// its standard output; a missing program names the setup step that installs it.
pub fn run(program: &str, args: &[&str]) -> String {
    let output = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed (bash .ci/setup --test): {e}"));
    assert!(
        output.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The `einblick` binary without any of this process's settings, for tests that run it.
pub fn einblick_binary() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_einblick"));
    for (key, _) in std::env::vars() {
        if key.starts_with("EINBLICK_") || key == "DATABASE_URL" || key == "LEPTOS_SITE_ADDR" {
            command.env_remove(key);
        }
    }
    command
}

/// `einblick serve` run as a process, with the address it listens on; killed when dropped.
/// Everything it prints is kept in `output`.
pub struct ServedBinary {
    child: std::process::Child,
    pub base_url: String,
    pub output: std::path::PathBuf,
    _dir: tempfile_dir::TempDir,
}

impl ServedBinary {
    /// Starts `serve` with `args` and `env`; `None` when it exits before serving (its output
    /// then says why, see [`ServedBinary::run_to_end`]).
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Result<ServedBinary, String> {
        let dir = tempfile_dir::TempDir::new(&format!("{}_served", unique_name()));
        let output = dir.0.join("output.log");
        let log = std::fs::File::create(&output).unwrap();
        let mut command = einblick_binary();
        command
            .arg("serve")
            .args(args)
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env("EINBLICK_LOG", "info")
            .env("EINBLICK_LOG_KEY_DIR", dir.0.join("log-keys"))
            .env("EINBLICK_OUTBOX_DIR", dir.0.join("outbox"))
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("start einblick");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let printed = std::fs::read_to_string(&output).unwrap_or_default();
            if let Some(address) = printed
                .lines()
                .find_map(|line| line.strip_prefix("Einblick is serving "))
                .and_then(|rest| rest.split_whitespace().next())
            {
                return Ok(ServedBinary {
                    child,
                    base_url: address.to_owned(),
                    output,
                    _dir: dir,
                });
            }
            if let Ok(Some(_)) = child.try_wait() {
                return Err(printed);
            }
            assert!(
                std::time::Instant::now() < deadline,
                "einblick did not start: {printed}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    pub fn client(&self) -> Client {
        Client::new(&self.base_url)
    }

    /// Everything the server printed so far.
    pub fn printed(&self) -> String {
        std::fs::read_to_string(&self.output).unwrap_or_default()
    }
}

impl Drop for ServedBinary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server's Prometheus metric `name` (no labels), read from `/metrics` over loopback.
pub fn metric(app: &TestApp, name: &str) -> f64 {
    let page = app.client().get("/metrics");
    assert_eq!(page.status, 200, "{}", page.body);
    page.body
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no metric {name} in {}", page.body))
        .trim()
        .parse()
        .unwrap()
}

/// Sends `events` to the feed as one batch with `token`; none may be refused.
pub fn send_batch(app: &TestApp, token: &str, events: &[serde_json::Value]) {
    let response = app.client().post_raw(
        "/api/v1/feed/events",
        "application/cloudevents-batch+json",
        serde_json::Value::Array(events.to_vec())
            .to_string()
            .as_bytes(),
        &[("Authorization", &format!("Bearer {token}"))],
    );
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json()["rejected"], 0, "{}", response.body);
}
