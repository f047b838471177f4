//! Typed, layered configuration: defaults that run, then an optional TOML file, then environment
//! variables. Every setting is documented in `server/einblick.example.toml`.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

/// Where the data lives, parsed from `DATABASE_URL`.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseLocation {
    Sqlite(PathBuf),
    Postgres(String),
}

impl std::fmt::Debug for DatabaseLocation {
    // A PostgreSQL URL may carry a password: show only the backend and host part.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            Self::Postgres(url) => {
                let host = url::Url::parse(url)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_owned))
                    .unwrap_or_default();
                write!(f, "postgres://{host}/…")
            }
        }
    }
}

/// Why a `DATABASE_URL` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatabaseUrlError {
    #[error("a sqlite:// URL needs a file path, e.g. sqlite://data/einblick.sqlite3")]
    NoPath,
    #[error("not a valid PostgreSQL URL ({0})")]
    NotAUrl(url::ParseError),
    #[error("must start with sqlite:// or postgres://")]
    UnknownScheme,
}

impl DatabaseLocation {
    /// `sqlite://relative/path`, `sqlite:///absolute/path`, `postgres://…` or `postgresql://…`.
    pub fn parse(raw: &str) -> Result<Self, DatabaseUrlError> {
        if let Some(path) = raw.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(DatabaseUrlError::NoPath);
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            url::Url::parse(raw).map_err(DatabaseUrlError::NotAUrl)?;
            return Ok(Self::Postgres(raw.to_owned()));
        }
        Err(DatabaseUrlError::UnknownScheme)
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

/// How the `Secure` attribute of cookies is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CookieSecurity {
    /// Secure when the request reached us over TLS.
    Auto,
    Always,
    Never,
}

/// Where the NATS JetStream consumer reads access events from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NatsSettings {
    pub url: Secret,
    pub stream: String,
    pub subject: String,
    pub consumer: String,
    /// Which sources may arrive on which subjects (`EINBLICK_NATS_SOURCES`).
    pub sources: Vec<SubjectBinding>,
}

/// `einblick.access.crm=/crm/*`: events on subjects matching `subject` (NATS wildcards `*` and
/// `>`) may carry sources matching `source` (a source, a prefix ending in `*`, or `*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubjectBinding {
    pub subject: String,
    pub source: String,
}

impl SubjectBinding {
    /// Whether a message's concrete subject falls under this binding's subject pattern.
    pub fn covers(&self, subject: &str) -> bool {
        let mut pattern = self.subject.split('.');
        let mut tokens = subject.split('.');
        loop {
            match (pattern.next(), tokens.next()) {
                (Some(">"), Some(_)) => return true,
                (Some("*"), Some(_)) => {}
                (Some(p), Some(t)) if p == t => {}
                (None, None) => return true,
                _ => return false,
            }
        }
    }
}

/// `subject=source` pairs, separated by commas or spaces.
fn parse_subject_bindings(value: &str) -> Result<Vec<SubjectBinding>, String> {
    let bindings: Vec<SubjectBinding> = value
        .split([',', ' ', '\n'])
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            let (subject, source) = part.trim().split_once('=').ok_or_else(|| {
                format!("{part:?} is not subject=source, like einblick.access.crm=/crm/*")
            })?;
            if subject.is_empty() || source.is_empty() {
                return Err(format!("{part:?} needs both a subject and a source"));
            }
            Ok(SubjectBinding {
                subject: subject.to_owned(),
                source: source.to_owned(),
            })
        })
        .collect::<Result<_, _>>()?;
    if bindings.is_empty() {
        return Err(
            "must bind each NATS subject to the sources it may carry, like \
                    einblick.access.crm=/crm/* (use einblick.access.>=* to allow any)"
                .into(),
        );
    }
    Ok(bindings)
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub database: DatabaseLocation,
    pub site_addr: SocketAddr,
    pub site_root: PathBuf,
    pub db_pool_size: u32,
    pub session_idle_minutes: u32,
    /// A customer's session ends this long after sign-in, however busy.
    pub customer_session_hours: u32,
    /// A staff session ends this long after sign-in, however busy.
    pub staff_session_hours: u32,
    pub login_max_failures: u32,
    pub login_lockout_minutes: u32,
    pub cookie_security: CookieSecurity,
    /// Serve the demo (seeded if missing); without it a server refuses a database that holds
    /// the demo's accounts.
    pub demo: bool,
    pub log_filter: String,
    /// `None` unless `EINBLICK_NATS_URL` is set.
    pub nats: Option<NatsSettings>,
    /// Where customers reach the portal; links in emails start with it.
    pub public_url: String,
    /// Emails are written here as `.eml` files.
    pub outbox_dir: PathBuf,
    /// The sender of customer emails.
    pub mail_from: String,
    /// SMTP server for customer emails; `None`: emails only go to the outbox.
    pub smtp_url: Option<Secret>,
    /// Whether this process composes and sends access alerts and digests (one sender at a time
    /// across processes all the same, by a lease in the database).
    pub notifier: bool,
    /// At most one alert email per customer in this many minutes; a burst is gathered into it.
    pub alert_window_minutes: u32,
    /// The first retry of an email that failed waits this long; each further one twice as long.
    pub email_retry_seconds: u32,
    pub transparency: TransparencySettings,
    /// Proxies whose `Forwarded`/`X-Forwarded-*` headers are believed.
    pub trusted_proxies: Vec<IpRange>,
    /// Argon2 hashes that may run at once; more wait their turn.
    pub password_hash_concurrency: u32,
    /// A page that has not started its answer after this many seconds gets a 503 "please
    /// reload"; 0: never.
    pub page_timeout_seconds: u32,
    /// `/metrics` answers a request with this bearer token…
    pub metrics_token: Option<Secret>,
    /// …or from one of these addresses.
    pub metrics_allow: Vec<IpRange>,
    /// Staff sign-in through the company's identity provider, when configured.
    pub staff_sso: Option<StaffSsoSettings>,
    /// Whether staff may also sign in with a password.
    pub staff_passwords: bool,
    /// Customer sign-in through the retailer's customer identity provider, when configured.
    pub customer_oidc: Option<CustomerOidcSettings>,
    /// Which ways in the customer sign-in page offers.
    pub customer_sign_in: CustomerSignIn,
    /// Origins the shop may send customers back to (`return_url` of a portal session).
    pub return_origins: Vec<String>,
    /// Source patterns that may send reference data (customers, business records, the
    /// employee directory) on the feed.
    pub reference_sources: Vec<String>,
    /// How long access events are kept; `None` (unset): for good.
    pub retention: Option<crate::domain::RetentionPolicy>,
}

/// An OpenID Connect provider and Einblick's client there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OidcSettings {
    /// Discovery starts at `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// Shown on the button: "Sign in with …".
    pub provider_name: String,
    /// How far the provider's clock may be ahead or behind when an ID token's times are checked.
    pub clock_skew_seconds: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffSsoSettings {
    pub oidc: OidcSettings,
    /// The claims that list the staff member's groups, read in this order.
    pub roles_claims: Vec<String>,
    /// Group → role, in order: the first group the person has decides.
    pub role_map: Vec<(String, crate::domain::StaffRole)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerOidcSettings {
    pub oidc: OidcSettings,
    /// The claim that carries the retailer's customer number.
    pub customer_claim: String,
}

/// The ways customers get in (`EINBLICK_CUSTOMER_SIGN_IN`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CustomerSignIn {
    /// Portal sessions opened by the shop's backend.
    pub portal: bool,
    /// The retailer's customer identity provider.
    pub oidc: bool,
    /// Einblick's own email and password.
    pub password: bool,
}

fn parse_customer_sign_in(value: &str) -> Result<CustomerSignIn, String> {
    let mut ways = CustomerSignIn {
        portal: false,
        oidc: false,
        password: false,
    };
    for way in value.split([',', ' ']).filter(|w| !w.trim().is_empty()) {
        match way.trim() {
            "portal" => ways.portal = true,
            "oidc" => ways.oidc = true,
            "password" => ways.password = true,
            other => return Err(format!("{other:?} is not one of portal, oidc, password")),
        }
    }
    if !(ways.portal || ways.oidc || ways.password) {
        return Err("name at least one of portal, oidc, password".into());
    }
    Ok(ways)
}

/// `group=role` pairs, separated by commas or spaces.
fn parse_role_map(value: &str) -> Result<Vec<(String, crate::domain::StaffRole)>, String> {
    let map: Vec<(String, crate::domain::StaffRole)> = value
        .split([',', ' '])
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            let (group, role) = part.trim().split_once('=').ok_or_else(|| {
                format!("{part:?} is not group=role, like einblick-leads=privacy_lead")
            })?;
            let role = crate::domain::StaffRole::parse(role).map_err(|e| e.to_string())?;
            if role == crate::domain::StaffRole::Regulator {
                return Err(format!(
                    "{part:?}: regulators belong to an authority outside the company; they keep \
                     local accounts, so map groups to privacy_analyst, privacy_lead or admin"
                ));
            }
            Ok((group.to_owned(), role))
        })
        .collect::<Result<_, String>>()?;
    if map.is_empty() {
        return Err("must map the provider's groups to roles, like \
                    einblick-analysts=privacy_analyst,einblick-leads=privacy_lead"
            .into());
    }
    Ok(map)
}

/// `https://shop.example.com` and the like: scheme, host and port only.
fn parse_origins(value: &str) -> Result<Vec<String>, String> {
    value
        .split([',', ' '])
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            let url = url::Url::parse(part.trim())
                .map_err(|_| format!("{part:?} is not an origin like https://shop.example.com"))?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err(format!("{part:?} is not an http(s) origin"));
            }
            Ok(url.origin().ascii_serialization())
        })
        .collect()
}

/// One address or a CIDR block, e.g. `10.0.0.0/8`, `127.0.0.1`, `fd00::/8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

/// Not an address or CIDR block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IpRangeError {
    #[error("{0:?} is not an IP address or CIDR block")]
    NotAnAddress(String),
    #[error("{0:?} has a prefix length above {1}")]
    PrefixTooLong(String, u8),
}

impl IpRange {
    pub fn parse(raw: &str) -> Result<Self, IpRangeError> {
        let raw = raw.trim();
        let (address, prefix) = match raw.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (raw, None),
        };
        let network: IpAddr = address
            .parse()
            .map_err(|_| IpRangeError::NotAnAddress(raw.to_owned()))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| IpRangeError::PrefixTooLong(raw.to_owned(), max))?,
            None => max,
        };
        Ok(Self { network, prefix })
    }

    pub fn contains(&self, ip: &IpAddr) -> bool {
        let bits = |ip: &IpAddr| -> Option<u128> {
            match (self.network, ip) {
                (IpAddr::V4(_), IpAddr::V4(v4)) => Some(u128::from(u32::from(*v4)) << 96),
                (IpAddr::V6(_), IpAddr::V6(v6)) => Some(u128::from(*v6)),
                (IpAddr::V6(_), IpAddr::V4(v4)) => Some(u128::from(v4.to_ipv6_mapped())),
                (IpAddr::V4(_), IpAddr::V6(v6)) => v6
                    .to_ipv4_mapped()
                    .map(|v4| u128::from(u32::from(v4)) << 96),
            }
        };
        let (Some(network), Some(candidate)) = (bits(&self.network), bits(ip)) else {
            return false;
        };
        // IPv4 addresses sit in the top 32 bits, so the prefix counts from the top either way.
        let width = u32::from(self.prefix);
        if width == 0 {
            return true;
        }
        let mask = u128::MAX << (128 - width);
        network & mask == candidate & mask
    }
}

/// A comma- or space-separated list of addresses and CIDR blocks; `none` for an empty list.
fn parse_ip_ranges(value: &str) -> Result<Vec<IpRange>, String> {
    if value.trim() == "none" {
        return Ok(Vec::new());
    }
    value
        .split([',', ' '])
        .filter(|part| !part.trim().is_empty())
        .map(|part| IpRange::parse(part).map_err(|e| e.to_string()))
        .collect()
}

/// The verifiable access log (`crate::transparency`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransparencySettings {
    /// Holds the checkpoint signing key and the key of the customer-reference hash; created at
    /// first start. Never inside the database, so a database copy cannot forge checkpoints.
    pub key_dir: PathBuf,
    /// The log's name in checkpoints and its key: the public URL of the log without scheme.
    pub origin: String,
    /// A checkpoint is signed once this many events are new since the last one…
    pub checkpoint_every_events: u32,
    /// …or this many seconds after the first event the last checkpoint does not cover.
    pub checkpoint_every_seconds: u32,
    /// A witness policy file (C2SP tlog-policy syntax): the witnesses each checkpoint is sent
    /// to and how many must cosign it. None: checkpoints are not witnessed.
    pub witness_policy: Option<PathBuf>,
}

/// A setting that may hold a password: `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// A setting that could not be used, named the way the operator wrote it.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub setting: String,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid setting {}: {}", self.setting, self.problem)
    }
}

impl std::error::Error for ConfigError {}

/// One configurable value: its file key, its environment variable(s) and its default.
struct Key {
    file_key: &'static str,
    env: &'static [&'static str],
    default: &'static str,
}

const KEYS: &[Key] = &[
    Key {
        file_key: "database_url",
        env: &["DATABASE_URL", "EINBLICK_DATABASE_URL"],
        default: "sqlite://data/einblick.sqlite3",
    },
    Key {
        file_key: "site_addr",
        env: &["LEPTOS_SITE_ADDR", "EINBLICK_SITE_ADDR"],
        default: "127.0.0.1:3000",
    },
    Key {
        file_key: "site_root",
        env: &["LEPTOS_SITE_ROOT", "EINBLICK_SITE_ROOT"],
        default: "target/site",
    },
    Key {
        file_key: "db_pool_size",
        env: &["EINBLICK_DB_POOL_SIZE"],
        default: "8",
    },
    Key {
        file_key: "session_idle_minutes",
        env: &["EINBLICK_SESSION_IDLE_MINUTES"],
        default: "30",
    },
    Key {
        file_key: "session_max_hours",
        env: &["EINBLICK_SESSION_MAX_HOURS"],
        default: "12",
    },
    Key {
        file_key: "staff_session_max_hours",
        env: &["EINBLICK_STAFF_SESSION_MAX_HOURS"],
        default: "8",
    },
    Key {
        file_key: "login_max_failures",
        env: &["EINBLICK_LOGIN_MAX_FAILURES"],
        default: "5",
    },
    Key {
        file_key: "login_lockout_minutes",
        env: &["EINBLICK_LOGIN_LOCKOUT_MINUTES"],
        default: "15",
    },
    Key {
        file_key: "cookie_secure",
        env: &["EINBLICK_COOKIE_SECURE"],
        default: "auto",
    },
    Key {
        file_key: "demo",
        env: &["EINBLICK_DEMO"],
        default: "false",
    },
    Key {
        file_key: "log",
        env: &["EINBLICK_LOG"],
        default: "info",
    },
    Key {
        file_key: "public_url",
        env: &["EINBLICK_PUBLIC_URL"],
        default: "http://127.0.0.1:3000",
    },
    Key {
        file_key: "outbox_dir",
        env: &["EINBLICK_OUTBOX_DIR"],
        default: "data/outbox",
    },
    Key {
        file_key: "mail_from",
        env: &["EINBLICK_MAIL_FROM"],
        default: "Einblick <datenschutz@einblick.example>",
    },
    Key {
        file_key: "smtp_url",
        env: &["EINBLICK_SMTP_URL"],
        default: "",
    },
    Key {
        file_key: "notifier",
        env: &["EINBLICK_NOTIFIER"],
        default: "true",
    },
    Key {
        file_key: "alert_window_minutes",
        env: &["EINBLICK_ALERT_WINDOW_MINUTES"],
        default: "15",
    },
    Key {
        file_key: "email_retry_seconds",
        env: &["EINBLICK_EMAIL_RETRY_SECONDS"],
        default: "60",
    },
    Key {
        file_key: "log_key_dir",
        env: &["EINBLICK_LOG_KEY_DIR"],
        default: "data/log-keys",
    },
    Key {
        file_key: "log_origin",
        env: &["EINBLICK_LOG_ORIGIN"],
        default: "",
    },
    Key {
        file_key: "checkpoint_every_events",
        env: &["EINBLICK_CHECKPOINT_EVERY_EVENTS"],
        default: "1000",
    },
    Key {
        file_key: "checkpoint_every_seconds",
        env: &["EINBLICK_CHECKPOINT_EVERY_SECONDS"],
        default: "30",
    },
    Key {
        file_key: "witness_policy",
        env: &["EINBLICK_WITNESS_POLICY"],
        default: "",
    },
    Key {
        file_key: "trusted_proxies",
        env: &["EINBLICK_TRUSTED_PROXIES"],
        default: "",
    },
    Key {
        file_key: "page_timeout_seconds",
        env: &["EINBLICK_PAGE_TIMEOUT_SECONDS"],
        default: "30",
    },
    Key {
        file_key: "metrics_token",
        env: &["EINBLICK_METRICS_TOKEN"],
        default: "",
    },
    Key {
        file_key: "metrics_allow",
        env: &["EINBLICK_METRICS_ALLOW"],
        default: "127.0.0.1, ::1",
    },
    Key {
        file_key: "password_hash_concurrency",
        env: &["EINBLICK_PASSWORD_HASH_CONCURRENCY"],
        default: "2",
    },
    Key {
        file_key: "oidc_issuer",
        env: &["EINBLICK_OIDC_ISSUER"],
        default: "",
    },
    Key {
        file_key: "oidc_client_id",
        env: &["EINBLICK_OIDC_CLIENT_ID"],
        default: "",
    },
    Key {
        file_key: "oidc_client_secret",
        env: &["EINBLICK_OIDC_CLIENT_SECRET"],
        default: "",
    },
    Key {
        file_key: "oidc_provider_name",
        env: &["EINBLICK_OIDC_PROVIDER_NAME"],
        default: "single sign-on",
    },
    Key {
        file_key: "oidc_roles_claim",
        env: &["EINBLICK_OIDC_ROLES_CLAIM"],
        default: "groups,roles",
    },
    Key {
        file_key: "oidc_role_map",
        env: &["EINBLICK_OIDC_ROLE_MAP"],
        default: "",
    },
    Key {
        file_key: "oidc_clock_skew_seconds",
        env: &["EINBLICK_OIDC_CLOCK_SKEW_SECONDS"],
        default: "60",
    },
    Key {
        file_key: "staff_passwords",
        env: &["EINBLICK_STAFF_PASSWORDS"],
        default: "true",
    },
    Key {
        file_key: "customer_oidc_issuer",
        env: &["EINBLICK_CUSTOMER_OIDC_ISSUER"],
        default: "",
    },
    Key {
        file_key: "customer_oidc_client_id",
        env: &["EINBLICK_CUSTOMER_OIDC_CLIENT_ID"],
        default: "",
    },
    Key {
        file_key: "customer_oidc_client_secret",
        env: &["EINBLICK_CUSTOMER_OIDC_CLIENT_SECRET"],
        default: "",
    },
    Key {
        file_key: "customer_oidc_provider_name",
        env: &["EINBLICK_CUSTOMER_OIDC_PROVIDER_NAME"],
        default: "your customer account",
    },
    Key {
        file_key: "customer_oidc_customer_claim",
        env: &["EINBLICK_CUSTOMER_OIDC_CUSTOMER_CLAIM"],
        default: "customer_number",
    },
    Key {
        file_key: "customer_sign_in",
        env: &["EINBLICK_CUSTOMER_SIGN_IN"],
        default: "portal,password",
    },
    Key {
        file_key: "return_origins",
        env: &["EINBLICK_RETURN_ORIGINS"],
        default: "",
    },
    Key {
        file_key: "reference_sources",
        env: &["EINBLICK_REFERENCE_SOURCES"],
        default: "",
    },
    Key {
        file_key: "retention_months",
        env: &["EINBLICK_RETENTION_MONTHS"],
        default: "",
    },
    Key {
        file_key: "nats_url",
        env: &["EINBLICK_NATS_URL"],
        default: "",
    },
    Key {
        file_key: "nats_stream",
        env: &["EINBLICK_NATS_STREAM"],
        default: "EINBLICK_ACCESS",
    },
    Key {
        file_key: "nats_subject",
        env: &["EINBLICK_NATS_SUBJECT"],
        default: "einblick.access.>",
    },
    Key {
        file_key: "nats_consumer",
        env: &["EINBLICK_NATS_CONSUMER"],
        default: "einblick-ingest",
    },
    Key {
        file_key: "nats_sources",
        env: &["EINBLICK_NATS_SOURCES"],
        default: "",
    },
];

/// A raw value and where it came from, so errors can name the setting the operator wrote.
struct Raw {
    value: String,
    origin: String,
}

impl Settings {
    /// Loads settings from the process environment and an optional file
    /// (`--config`, else `EINBLICK_CONFIG`).
    pub fn load(config_file: Option<&Path>) -> Result<Settings, ConfigError> {
        let env: BTreeMap<String, String> = std::env::vars().collect();
        let file = config_file
            .map(Path::to_path_buf)
            .or_else(|| env.get("EINBLICK_CONFIG").map(PathBuf::from));
        let file_values = match file {
            Some(path) => read_file(&path)?,
            None => BTreeMap::new(),
        };
        Self::from_sources(&file_values, &env)
    }

    /// Resolves every key: environment over file over default.
    pub fn from_sources(
        file: &BTreeMap<String, String>,
        env: &BTreeMap<String, String>,
    ) -> Result<Settings, ConfigError> {
        let mut raw: BTreeMap<&'static str, Raw> = BTreeMap::new();
        for key in KEYS {
            let from_env = key.env.iter().find_map(|name| {
                env.get(*name).filter(|v| !v.is_empty()).map(|v| Raw {
                    value: v.clone(),
                    origin: (*name).to_owned(),
                })
            });
            let chosen = from_env
                .or_else(|| {
                    file.get(key.file_key).map(|v| Raw {
                        value: v.clone(),
                        origin: format!("{} (config file)", key.file_key),
                    })
                })
                .unwrap_or_else(|| Raw {
                    value: key.default.to_owned(),
                    // A default that does not do names the variable an operator would set.
                    origin: key.env.first().copied().unwrap_or(key.file_key).to_owned(),
                });
            raw.insert(key.file_key, chosen);
        }
        let get = |k: &str| &raw[k];

        let database = parse_secret_with(get("database_url"), |v| {
            DatabaseLocation::parse(v).map_err(|e| e.to_string())
        })?;
        let site_addr = parse_with(get("site_addr"), |v| {
            v.parse::<SocketAddr>()
                .map_err(|_| "must be an address with port, like 127.0.0.1:3000".to_owned())
        })?;
        let site_root = PathBuf::from(&get("site_root").value);
        let db_pool_size = parse_number(get("db_pool_size"), 1, 256)?;
        let session_idle_minutes = parse_number(get("session_idle_minutes"), 1, 24 * 60)?;
        let customer_session_hours = parse_number(get("session_max_hours"), 1, 24 * 30)?;
        let staff_session_hours = parse_number(get("staff_session_max_hours"), 1, 24 * 30)?;
        let login_max_failures = parse_number(get("login_max_failures"), 1, 1000)?;
        let login_lockout_minutes = parse_number(get("login_lockout_minutes"), 1, 24 * 60)?;
        let cookie_security = parse_with(get("cookie_secure"), |v| {
            match v.to_ascii_lowercase().as_str() {
                "auto" => Ok(CookieSecurity::Auto),
                "always" | "true" => Ok(CookieSecurity::Always),
                "never" | "false" => Ok(CookieSecurity::Never),
                _ => Err("must be one of auto, always, never".to_owned()),
            }
        })?;
        let demo = parse_with(get("demo"), parse_bool)?;
        let log_filter = get("log").value.clone();
        tracing_subscriber::EnvFilter::try_new(&log_filter).map_err(|e| ConfigError {
            setting: get("log").origin.clone(),
            problem: format!("not a valid log filter ({e})"),
        })?;

        let public_url = parse_with(get("public_url"), |v| {
            let trimmed = v.trim_end_matches('/');
            if (trimmed.starts_with("http://") || trimmed.starts_with("https://"))
                && url::Url::parse(trimmed).is_ok()
            {
                Ok(trimmed.to_owned())
            } else {
                Err("must be an http(s) URL, like https://einblick.example.com".to_owned())
            }
        })?;
        let outbox_dir = PathBuf::from(&get("outbox_dir").value);
        let mail_from = parse_with(get("mail_from"), |v| {
            if v.contains('@') && !v.contains(['\r', '\n']) {
                Ok(v.to_owned())
            } else {
                Err("must be an address, like Einblick <privacy@example.com>".to_owned())
            }
        })?;

        let smtp_url = if get("smtp_url").value.trim().is_empty() {
            None
        } else {
            // The error names the setting but never repeats the URL: it may hold a password.
            let raw = get("smtp_url");
            lettre::SmtpTransport::from_url(raw.value.trim()).map_err(|e| ConfigError {
                setting: raw.origin.clone(),
                problem: format!("not a usable SMTP URL ({e})"),
            })?;
            Some(Secret(raw.value.trim().to_owned()))
        };

        let log_origin = if get("log_origin").value.trim().is_empty() {
            // https://einblick.example.com/ → einblick.example.com/log
            let without_scheme = public_url
                .split_once("://")
                .map_or(&*public_url, |(_, rest)| rest);
            format!("{without_scheme}/log")
        } else {
            parse_with(get("log_origin"), |v| {
                if v.contains(['+', '\n']) || v.contains(char::is_whitespace) {
                    Err("must be a URL without scheme, spaces or '+', like einblick.example.com/log".to_owned())
                } else {
                    Ok(v.to_owned())
                }
            })?
        };
        let transparency = TransparencySettings {
            key_dir: PathBuf::from(&get("log_key_dir").value),
            origin: log_origin,
            checkpoint_every_events: parse_number(get("checkpoint_every_events"), 1, 1_000_000)?,
            checkpoint_every_seconds: parse_number(get("checkpoint_every_seconds"), 1, 86_400)?,
            witness_policy: Some(get("witness_policy").value.trim())
                .filter(|path| !path.is_empty())
                .map(PathBuf::from),
        };

        let nats = if get("nats_url").value.trim().is_empty() {
            None
        } else {
            let url = parse_secret_with(get("nats_url"), |v| {
                if v.starts_with("nats://") || v.starts_with("tls://") {
                    Ok(Secret(v.to_owned()))
                } else {
                    Err("must be a nats:// or tls:// URL, like nats://127.0.0.1:4222".to_owned())
                }
            })?;
            let name = |key: &str| {
                parse_with(get(key), |v| {
                    if !v.is_empty()
                        && v.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                    {
                        Ok(v.to_owned())
                    } else {
                        Err("must be letters, digits, '_' or '-'".to_owned())
                    }
                })
            };
            let subject = parse_with(get("nats_subject"), |v| {
                if v.is_empty() || v.contains(char::is_whitespace) {
                    Err("must be a NATS subject without spaces".to_owned())
                } else {
                    Ok(v.to_owned())
                }
            })?;
            Some(NatsSettings {
                url,
                stream: name("nats_stream")?,
                subject,
                consumer: name("nats_consumer")?,
                sources: parse_with(get("nats_sources"), parse_subject_bindings)?,
            })
        };

        let trusted_proxies = parse_with(get("trusted_proxies"), parse_ip_ranges)?;
        let password_hash_concurrency = parse_number(get("password_hash_concurrency"), 1, 64)?;
        let page_timeout_seconds = parse_number(get("page_timeout_seconds"), 0, 3600)?;
        let notifier = parse_with(get("notifier"), parse_bool)?;
        let alert_window_minutes = parse_number(get("alert_window_minutes"), 0, 1440)?;
        let email_retry_seconds = parse_number(get("email_retry_seconds"), 1, 86_400)?;
        let metrics_token = match get("metrics_token").value.trim() {
            "" => None,
            token if token.len() < 16 => {
                return Err(ConfigError {
                    setting: get("metrics_token").origin.clone(),
                    problem: "must have at least 16 characters".into(),
                })
            }
            token => Some(Secret(token.to_owned())),
        };
        let metrics_allow = parse_with(get("metrics_allow"), parse_ip_ranges)?;
        let skew = parse_number(get("oidc_clock_skew_seconds"), 0, 600)?;
        // One provider's settings, all or nothing: an issuer without a client is a mistake.
        let oidc = |prefix: &str| -> Result<Option<OidcSettings>, ConfigError> {
            let issuer = get(&format!("{prefix}issuer"));
            if issuer.value.trim().is_empty() {
                return Ok(None);
            }
            let issuer_url = parse_with(issuer, |v| {
                url::Url::parse(v)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "https" | "http"))
                    .map(|_| v.trim_end_matches('/').to_owned())
                    .ok_or_else(|| "must be the provider's issuer URL, like https://login.example.com/realms/staff".to_owned())
            })?;
            let required = |key: &str| -> Result<String, ConfigError> {
                let raw = get(&format!("{prefix}{key}"));
                if raw.value.trim().is_empty() {
                    return Err(ConfigError {
                        setting: raw.origin.clone(),
                        problem: format!("is needed with {}", issuer.origin),
                    });
                }
                Ok(raw.value.trim().to_owned())
            };
            Ok(Some(OidcSettings {
                issuer: issuer_url,
                client_id: required("client_id")?,
                client_secret: Secret(required("client_secret")?),
                provider_name: get(&format!("{prefix}provider_name"))
                    .value
                    .trim()
                    .to_owned(),
                clock_skew_seconds: skew,
            }))
        };
        let staff_sso = match oidc("oidc_")? {
            Some(oidc) => Some(StaffSsoSettings {
                oidc,
                roles_claims: get("oidc_roles_claim")
                    .value
                    .split([',', ' '])
                    .filter(|c| !c.trim().is_empty())
                    .map(|c| c.trim().to_owned())
                    .collect(),
                role_map: parse_with(get("oidc_role_map"), parse_role_map)?,
            }),
            None => None,
        };
        let staff_passwords = parse_with(get("staff_passwords"), parse_bool)?;
        if !staff_passwords && staff_sso.is_none() {
            return Err(ConfigError {
                setting: get("staff_passwords").origin.clone(),
                problem: "staff need a way in: set EINBLICK_OIDC_ISSUER before switching \
                          passwords off"
                    .into(),
            });
        }
        let customer_oidc = oidc("customer_oidc_")?.map(|oidc| CustomerOidcSettings {
            oidc,
            customer_claim: get("customer_oidc_customer_claim").value.trim().to_owned(),
        });
        let customer_sign_in = parse_with(get("customer_sign_in"), parse_customer_sign_in)?;
        if customer_sign_in.oidc && customer_oidc.is_none() {
            return Err(ConfigError {
                setting: get("customer_sign_in").origin.clone(),
                problem: "oidc needs EINBLICK_CUSTOMER_OIDC_ISSUER".into(),
            });
        }
        let return_origins = parse_with(get("return_origins"), parse_origins)?;
        let reference_sources: Vec<String> = get("reference_sources")
            .value
            .split([',', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let retention = if get("retention_months").value.trim().is_empty() {
            None
        } else {
            use crate::domain::RetentionPolicy;
            let months = parse_number(get("retention_months"), 1, RetentionPolicy::MAX_MONTHS)?;
            RetentionPolicy::keeping_months(months)
        };

        Ok(Settings {
            retention,
            trusted_proxies,
            password_hash_concurrency,
            page_timeout_seconds,
            notifier,
            alert_window_minutes,
            email_retry_seconds,
            metrics_token,
            metrics_allow,
            staff_sso,
            staff_passwords,
            customer_oidc,
            customer_sign_in,
            return_origins,
            reference_sources,
            database,
            site_addr,
            site_root,
            db_pool_size,
            session_idle_minutes,
            customer_session_hours,
            staff_session_hours,
            login_max_failures,
            login_lockout_minutes,
            cookie_security,
            demo,
            log_filter,
            public_url,
            outbox_dir,
            mail_from,
            smtp_url,
            nats,
            transparency,
        })
    }
}

fn read_file(path: &Path) -> Result<BTreeMap<String, String>, ConfigError> {
    let setting = format!("config file {}", path.display());
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        setting: setting.clone(),
        problem: format!("cannot be read ({e})"),
    })?;
    let table: toml::Table = text.parse().map_err(|e| ConfigError {
        setting: setting.clone(),
        problem: format!("is not valid TOML ({e})"),
    })?;
    let mut values = BTreeMap::new();
    for (key, value) in table {
        if !KEYS.iter().any(|k| k.file_key == key) {
            return Err(ConfigError {
                setting: format!("{key} (config file)"),
                problem: "is not a known setting".into(),
            });
        }
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(ConfigError {
                    setting: format!("{key} (config file)"),
                    problem: format!(
                        "must be a string, number or boolean, not {}",
                        other.type_str()
                    ),
                })
            }
        };
        values.insert(key, text);
    }
    Ok(values)
}

fn parse_with<T>(
    raw: &Raw,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, ConfigError> {
    parse(raw.value.trim()).map_err(|problem| ConfigError {
        setting: raw.origin.clone(),
        problem: format!("{problem} (got {:?})", raw.value),
    })
}

/// [`parse_with`] for a value that may hold a password: the error shows it with any password
/// in it replaced.
fn parse_secret_with<T>(
    raw: &Raw,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, ConfigError> {
    parse(raw.value.trim()).map_err(|problem| ConfigError {
        setting: raw.origin.clone(),
        problem: format!(
            "{} (got {:?})",
            redact_url(&problem, &raw.value),
            redact_url(&raw.value, &raw.value)
        ),
    })
}

/// `text` with the password of the URL `url` (if it has one) replaced by `***`.
pub fn redact_url(text: &str, url: &str) -> String {
    let password = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split(['/', '?', '#']).next())
        .and_then(|authority| authority.rsplit_once('@'))
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .map(|(_, password)| password)
        .filter(|password| !password.is_empty());
    match password {
        Some(password) => text.replace(password, "***"),
        None => text.to_owned(),
    }
}

fn parse_number(raw: &Raw, min: u32, max: u32) -> Result<u32, ConfigError> {
    parse_with(raw, |v| match v.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("must be a whole number from {min} to {max}")),
    })
}

fn parse_bool(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" | "on" => Ok(true),
        "false" | "no" | "0" | "off" => Ok(false),
        _ => Err("must be true or false".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_run_on_sqlite_at_port_3000() {
        let settings = Settings::from_sources(&BTreeMap::new(), &BTreeMap::new()).unwrap();
        assert_eq!(
            settings.database,
            DatabaseLocation::Sqlite("data/einblick.sqlite3".into())
        );
        assert_eq!(settings.site_addr.to_string(), "127.0.0.1:3000");
    }

    #[test]
    fn environment_overrides_the_file() {
        let file = env(&[("session_idle_minutes", "10")]);
        let settings =
            Settings::from_sources(&file, &env(&[("EINBLICK_SESSION_IDLE_MINUTES", "20")]))
                .unwrap();
        assert_eq!(settings.session_idle_minutes, 20);
        let settings = Settings::from_sources(&file, &BTreeMap::new()).unwrap();
        assert_eq!(settings.session_idle_minutes, 10);
    }

    #[test]
    fn events_are_kept_for_good_until_a_retention_is_set() {
        let none = BTreeMap::new();
        let settings = Settings::from_sources(&none, &none).unwrap();
        assert_eq!(settings.retention, None);
        let settings =
            Settings::from_sources(&none, &env(&[("EINBLICK_RETENTION_MONTHS", "36")])).unwrap();
        assert_eq!(settings.retention.map(|policy| policy.months()), Some(36));
        for refused in ["0", "1201", "three years"] {
            let error =
                Settings::from_sources(&none, &env(&[("EINBLICK_RETENTION_MONTHS", refused)]))
                    .unwrap_err();
            assert!(
                error.to_string().contains("EINBLICK_RETENTION_MONTHS"),
                "{error}"
            );
        }
    }

    #[test]
    fn the_nats_consumer_is_off_until_a_url_is_set() {
        let settings = Settings::from_sources(&BTreeMap::new(), &BTreeMap::new()).unwrap();
        assert_eq!(settings.nats, None);
        let settings = Settings::from_sources(
            &BTreeMap::new(),
            &env(&[
                ("EINBLICK_NATS_URL", "nats://127.0.0.1:4222"),
                ("EINBLICK_NATS_SOURCES", "einblick.access.>=*"),
            ]),
        )
        .unwrap();
        let nats = settings.nats.unwrap();
        assert_eq!(
            (nats.stream.as_str(), nats.subject.as_str()),
            ("EINBLICK_ACCESS", "einblick.access.>")
        );
        let err =
            Settings::from_sources(&BTreeMap::new(), &env(&[("EINBLICK_NATS_URL", "http://x")]))
                .unwrap_err();
        assert_eq!(err.setting, "EINBLICK_NATS_URL");
        let err = Settings::from_sources(
            &BTreeMap::new(),
            &env(&[("EINBLICK_NATS_URL", "nats://127.0.0.1:4222")]),
        )
        .unwrap_err();
        assert_eq!(err.setting, "EINBLICK_NATS_SOURCES");
    }

    #[test]
    fn the_example_file_documents_every_setting_and_loads() {
        let example = include_str!("../einblick.example.toml");
        for key in KEYS {
            assert!(
                example.contains(&format!("{} = ", key.file_key)),
                "{} is not in einblick.example.toml",
                key.file_key
            );
            for name in key.env {
                assert!(
                    example.contains(name),
                    "{name} is not in einblick.example.toml"
                );
            }
        }
        let path =
            std::env::temp_dir().join(format!("einblick-example-{}.toml", std::process::id()));
        std::fs::write(&path, example).unwrap();
        let values = read_file(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        Settings::from_sources(&values, &BTreeMap::new()).unwrap();
    }

    #[test]
    fn smtp_urls_are_checked_at_start_up() {
        for good in [
            "smtp://127.0.0.1:2525",
            "smtp://user:secret@mail.example.org:587?tls=required",
        ] {
            let settings =
                Settings::from_sources(&BTreeMap::new(), &env(&[("EINBLICK_SMTP_URL", good)]));
            assert!(settings.is_ok(), "{good}");
        }
        let err = Settings::from_sources(
            &BTreeMap::new(),
            &env(&[("EINBLICK_SMTP_URL", "http://user:secret@mail.example.org")]),
        )
        .unwrap_err();
        assert_eq!(err.setting, "EINBLICK_SMTP_URL");
        assert!(!err.to_string().contains("secret"), "{err}");
    }

    #[test]
    fn trusted_proxies_are_addresses_or_cidr_blocks() {
        let ranges = parse_ip_ranges("10.0.0.0/8, 127.0.0.1 fd00::/8").unwrap();
        let inside = |ip: &str| ranges.iter().any(|r| r.contains(&ip.parse().unwrap()));
        assert!(inside("10.200.3.4"));
        assert!(inside("127.0.0.1"));
        assert!(inside("fd12::1"));
        assert!(inside("::ffff:10.1.1.1"));
        assert!(!inside("11.0.0.1"));
        assert!(!inside("127.0.0.2"));
        assert!(parse_ip_ranges("10.0.0.0/33").is_err());
        assert!(parse_ip_ranges("proxy.local").is_err());
        assert_eq!(parse_ip_ranges("").unwrap(), Vec::new());
    }

    #[test]
    fn nats_subjects_are_bound_to_sources() {
        let bindings =
            parse_subject_bindings("einblick.access.crm=/crm/*, einblick.shop.*=/shop/checkout")
                .unwrap();
        assert!(bindings[0].covers("einblick.access.crm"));
        assert!(!bindings[0].covers("einblick.access.crm.eu"));
        assert!(bindings[1].covers("einblick.shop.eu"));
        let any = parse_subject_bindings("einblick.access.>=*").unwrap();
        assert!(any[0].covers("einblick.access.crm.eu"));
        assert!(!any[0].covers("einblick.access"));
        assert!(parse_subject_bindings("").is_err());
        assert!(parse_subject_bindings("einblick.access.crm").is_err());
    }

    #[test]
    fn passwords_in_urls_never_reach_an_error_message() {
        let err = Settings::from_sources(
            &BTreeMap::new(),
            &env(&[(
                "DATABASE_URL",
                "postgres://einblick:hunter2@db:notaport/einblick",
            )]),
        )
        .unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(err.to_string().contains("***"), "{err}");
        let err = Settings::from_sources(
            &BTreeMap::new(),
            &env(&[
                ("EINBLICK_NATS_URL", "http://feed:s3cret@nats:4222"),
                ("EINBLICK_NATS_SOURCES", "einblick.access.>=*"),
            ]),
        )
        .unwrap_err();
        assert!(!err.to_string().contains("s3cret"), "{err}");
    }

    #[test]
    fn a_bad_value_names_the_setting_it_came_from() {
        let err = Settings::from_sources(&BTreeMap::new(), &env(&[("DATABASE_URL", "mysql://x")]))
            .unwrap_err();
        assert_eq!(err.setting, "DATABASE_URL");
        let err = Settings::from_sources(
            &BTreeMap::new(),
            &env(&[("EINBLICK_SESSION_IDLE_MINUTES", "soon")]),
        )
        .unwrap_err();
        assert_eq!(err.setting, "EINBLICK_SESSION_IDLE_MINUTES");
        assert!(err.problem.contains("whole number"), "{}", err.problem);
        let err = Settings::from_sources(&env(&[("site_addr", "nowhere")]), &BTreeMap::new())
            .unwrap_err();
        assert_eq!(err.setting, "site_addr (config file)");
    }
}
