//! The `einblick` command line: `serve`, `migrate`, `seed-demo`, `import`, `token`,
//! `service-token`, `staff`, `customers`, `directory`, `detect`, `verify`, `verify-timeline`,
//! `audit`, `checkpoint`, `retention`, `witness serve`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::db::Database;
use crate::error::AppError;
use crate::http;
#[cfg(feature = "demo")]
use crate::seed::demo::{self, SeedOutcome};
use crate::state::AppState;

#[derive(Parser, Debug)]
#[command(
    name = "einblick",
    version,
    about = "Einblick: shows customers who at the company accessed their data, and why.",
    after_help = "Settings come from defaults, then the --config file, then environment variables \
                  (DATABASE_URL, LEPTOS_SITE_ADDR, EINBLICK_*). See server/einblick.example.toml."
)]
pub struct Cli {
    /// A TOML settings file (also EINBLICK_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// What to do; without one, `serve` (which is what cargo-leptos runs).
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Apply pending migrations and serve the portal.
    Serve {
        /// Serve the demo: its data is loaded if missing (also EINBLICK_DEMO=true). Without it a
        /// database holding the demo's accounts, whose password is published, is refused.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the deterministic demo data (customers, roles, employees, ~5,000 access events).
    /// Does nothing if the demo data is already present.
    SeedDemo,
    /// Import access events from an NDJSON file (plain or gzip; `-` reads stdin). Safe to re-run:
    /// events already stored count as duplicates. Rejected lines go to the dead-letter store.
    Import {
        /// The file to import, or `-` for standard input.
        file: PathBuf,
    },
    /// Manage the bearer tokens internal systems send events with.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Manage the tokens the shop's backend opens portal sessions with
    /// (POST /api/v1/portal-sessions).
    ServiceToken {
        #[command(subcommand)]
        action: ServiceTokenAction,
    },
    /// Manage back-office accounts from the command line (the first admin of a deployment).
    Staff {
        #[command(subcommand)]
        action: StaffAction,
    },
    /// Customer accounts for sign-in with an Einblick password.
    Customers {
        #[command(subcommand)]
        action: CustomersAction,
    },
    /// The employee directory the detection rules compare accesses with.
    Directory {
        #[command(subcommand)]
        action: DirectoryAction,
    },
    /// Run the detection rules over past accesses and report what they flag, without changing
    /// anything: per rule how often it fires, its share of accesses and, where the privacy team
    /// decided, its precision.
    Detect {
        /// First day (UTC), YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// Day after the last (UTC), YYYY-MM-DD.
        #[arg(long)]
        to: String,
        /// Only this rule (whether it is switched on or not).
        #[arg(long)]
        rule: Option<String>,
    },
    /// Check a proof bundle (downloaded from a timeline entry) offline: the checkpoint's
    /// signature, and that the entry is in the log. Needs no database. Exit status 1 if it fails.
    Verify {
        /// The proof bundle (JSON).
        bundle: PathBuf,
        /// The log's public key (`origin+keyid+base64`, as served at /log/key), or a file
        /// holding it. Get it from the log operator or a monitor, not from the bundle.
        #[arg(long)]
        key: String,
        /// A witness policy (C2SP tlog-policy syntax): the checkpoint must carry enough valid
        /// cosignatures of its witnesses.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
    },
    /// Check a whole-timeline bundle (downloaded at /timeline/proof) offline: that the chain of
    /// the customer's entries is unbroken from the first to the newest, and that the newest is
    /// in a signed checkpoint. Needs no database. Exit status 1 if it fails.
    VerifyTimeline {
        /// The timeline bundle (JSON).
        bundle: PathBuf,
        /// The log's public key (`origin+keyid+base64`), or a file holding it.
        #[arg(long)]
        key: String,
        /// A timeline bundle downloaded before: every entry of it must still be in this one.
        #[arg(long, value_name = "BUNDLE")]
        earlier: Option<PathBuf>,
        /// A witness policy (C2SP tlog-policy syntax): the checkpoint must carry enough valid
        /// cosignatures of its witnesses.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
    },
    /// Recompute the verifiable log from the database and report any access event that was
    /// changed or removed after it was logged, and any checkpoint that no longer holds.
    /// Exit status 1 if anything is found.
    Audit,
    /// Sign a checkpoint now over every committed event (`serve` does this on a cadence).
    Checkpoint,
    /// Apply the retention policy (EINBLICK_RETENTION_MONTHS) now: remove the access events
    /// older than it keeps that a signed checkpoint covers (`serve` does this every hour).
    Retention,
    /// Run a witness for other Einblick logs (C2SP tlog-witness).
    Witness {
        #[command(subcommand)]
        action: WitnessAction,
    },
}

#[derive(Subcommand, Debug)]
pub enum WitnessAction {
    /// Cosign the checkpoints of the logs it trusts, each only if it extends what it cosigned
    /// before (C2SP tlog-witness `POST /add-checkpoint`). Needs no database.
    Serve {
        /// Where it listens.
        #[arg(
            long,
            env = "EINBLICK_WITNESS_LISTEN",
            default_value = "127.0.0.1:7380"
        )]
        listen: String,
        /// Its key (created at first start) and what it cosigned of each log.
        #[arg(long, env = "EINBLICK_WITNESS_DIR", default_value = "data/witness")]
        dir: PathBuf,
        /// Its name in cosignatures, like `authority.example/witness`; needed at first start,
        /// then taken from its key.
        #[arg(long, env = "EINBLICK_WITNESS_NAME")]
        name: Option<String>,
        /// A log it witnesses: the log's public key (`origin+keyid+base64`, as served at
        /// /log/key) or a file holding one key a line. Repeat for more logs.
        #[arg(
            long = "log",
            env = "EINBLICK_WITNESS_LOGS",
            value_delimiter = ',',
            required = true
        )]
        logs: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenAction {
    /// Create a token allowed to send events with the given sources; prints it once.
    Create {
        /// A CloudEvents `source` the token may send (repeatable), e.g. /crm/support-console.
        #[arg(long = "source", required = true)]
        sources: Vec<String>,
        /// A name for people, e.g. the sending system.
        #[arg(long)]
        label: Option<String>,
    },
    /// List tokens (never the token itself).
    List,
    /// Revoke a token by its id; it stops working at once.
    Revoke { id: i64 },
}

#[derive(Subcommand, Debug)]
pub enum ServiceTokenAction {
    /// Create a service token; prints it once.
    Create {
        /// A name for people, e.g. the shop's backend.
        #[arg(long, default_value = "shop")]
        label: String,
    },
    /// List service tokens (never the token itself).
    List,
    /// Revoke a service token by its id; it stops working at once.
    Revoke { id: i64 },
}

#[derive(Subcommand, Debug)]
pub enum CustomersAction {
    /// Make or update customers from a file: NDJSON ({customer_ref, email, name, locale,
    /// time_zone, high_profile} per line) or CSV with a header row naming those columns.
    /// Safe to re-run.
    Import {
        file: PathBuf,
        /// Email each customer with an address and no password (who was never invited) a link
        /// to set one.
        #[arg(long)]
        invite: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum DirectoryAction {
    /// Make or update employees from a file: CSV with a header row
    /// (employee_id,surname,postcode,team,shift,active,customer_ref) or NDJSON with those
    /// members. Safe to re-run.
    Import { file: PathBuf },
}

#[derive(Subcommand, Debug)]
pub enum StaffAction {
    /// Create a back-office account; prompts for its password (or reads it from standard input
    /// with --password-stdin).
    Create {
        /// privacy_analyst, privacy_lead, regulator or admin.
        #[arg(long)]
        role: String,
        #[arg(long)]
        email: String,
        /// The name shown in the back office (default: the part of the email before the @).
        #[arg(long)]
        name: Option<String>,
        /// The supervisory authority (regulators only).
        #[arg(long)]
        authority: Option<String>,
        /// Read the password from the first line of standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
}

pub fn run(cli: Cli) -> Result<(), CliError> {
    // Offline: no settings, no database.
    if let Some(Command::Verify {
        bundle,
        key,
        policy,
    }) = &cli.command
    {
        return verify_bundle(bundle, key, policy.as_deref());
    }
    if let Some(Command::VerifyTimeline {
        bundle,
        key,
        earlier,
        policy,
    }) = &cli.command
    {
        return verify_timeline(bundle, key, earlier.as_deref(), policy.as_deref());
    }
    if let Some(Command::Witness {
        action:
            WitnessAction::Serve {
                listen,
                dir,
                name,
                logs,
            },
    }) = &cli.command
    {
        return serve_witness(listen, dir, name.as_deref(), logs);
    }
    let settings = Settings::load(cli.config.as_deref())?;
    init_logging(&settings.log_filter);
    let db = Database::connect(settings.database.clone(), settings.db_pool_size)?;
    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Migrate => {
            let applied = db.migrate()?;
            println!(
                "{} migration(s) applied to {:?}",
                applied.len(),
                settings.database
            );
        }
        Command::SeedDemo => {
            db.migrate()?;
            seed_demo(&db, &settings)?;
        }
        Command::Import { file } => {
            db.migrate()?;
            let keys = claimed_log_keys(&db, &settings)?;
            let report = crate::ingest::import::import(&db, &file, &keys, settings.retention)?;
            let mut conn = db.get()?;
            let judged = crate::explain::run::settle(&mut conn, chrono::Utc::now().naive_utc())?;
            println!(
                "import finished: {} accepted, {} duplicates, {} rejected (kept in the dead-letter store)",
                report.accepted, report.duplicates, report.rejected
            );
            println!("{judged} access(es) judged (explained, unexplained or flagged)");
            for rejected in report.rejections.iter().take(20) {
                println!(
                    "  line {}: {} ({})",
                    rejected.position + 1,
                    rejected.reason,
                    rejected.id.as_deref().unwrap_or("no id")
                );
            }
        }
        Command::Token { action } => {
            db.migrate()?;
            run_token_action(&db, action)?;
        }
        Command::ServiceToken { action } => {
            db.migrate()?;
            run_service_token_action(&db, action)?;
        }
        Command::Staff { action } => {
            db.migrate()?;
            run_staff_action(&db, action)?;
        }
        Command::Customers {
            action: CustomersAction::Import { file, invite },
        } => {
            db.migrate()?;
            import_customers(&db, &settings, &file, invite)?;
        }
        Command::Directory {
            action: DirectoryAction::Import { file },
        } => {
            db.migrate()?;
            let keys = claimed_log_keys(&db, &settings)?;
            let report = crate::ingest::directory::import(&db, &file, &keys)?;
            let mut conn = db.get()?;
            let judged = crate::explain::run::settle(&mut conn, chrono::Utc::now().naive_utc())?;
            println!(
                "directory imported: {} stored, {} unchanged, {} rejected; {judged} access(es) judged again",
                report.stored,
                report.unchanged,
                report.rejected.len()
            );
            for (line, reason) in report.rejected.iter().take(20) {
                println!("  line {line}: {reason}");
            }
        }
        Command::Detect { from, to, rule } => {
            db.migrate()?;
            detect(&db, &from, &to, rule.as_deref())?;
        }
        Command::Verify { .. } | Command::VerifyTimeline { .. } | Command::Witness { .. } => {
            unreachable!("handled before settings are loaded")
        }
        Command::Audit => {
            db.migrate()?;
            let keys = log_keys(&settings)?;
            let mut conn = db.get()?;
            let report = crate::transparency::audit::audit(&mut conn, &keys)?;
            println!(
                "audited the log {}: {} access events, {} checkpoints",
                keys.origin(),
                report.events_checked,
                report.checkpoints_checked
            );
            if report.uncovered_events > 0 {
                println!(
                    "  {} newest events are not in a checkpoint yet (not published, not compared)",
                    report.uncovered_events
                );
            }
            if report.removed_by_retention > 0 {
                println!(
                    "  {} events were removed under the retention policy (their leaves' published \
                     hashes stand in for them)",
                    report.removed_by_retention
                );
            }
            if report.is_clean() {
                println!("OK: every logged event is unchanged and every checkpoint holds");
            } else {
                for finding in &report.findings {
                    println!("  {finding}");
                }
                return Err(CliError::refused(format!(
                    "the log does not match the database: {} finding(s)",
                    report.findings.len()
                )));
            }
        }
        Command::Checkpoint => {
            db.migrate()?;
            let keys = claimed_log_keys(&db, &settings)?;
            let mut conn = db.get()?;
            let issued = crate::transparency::checkpoint::issue(
                &mut conn,
                &keys,
                chrono::Utc::now().naive_utc(),
            )?;
            match issued {
                Some(checkpoint) => print!("{}", checkpoint.note),
                None => println!("the latest checkpoint already covers every event"),
            }
        }
        Command::Retention => {
            db.migrate()?;
            let Some(policy) = settings.retention else {
                return Err(CliError::refused(
                    "EINBLICK_RETENTION_MONTHS is not set: events are kept for good, nothing to remove",
                ));
            };
            let now = chrono::Utc::now().naive_utc();
            let keys = claimed_log_keys(&db, &settings)?;
            let run = crate::transparency::retention::apply(&mut *db.get()?, &keys, policy, now)?;
            println!(
                "removed {} access events that happened before {} (kept: {} months before the current one)",
                run.removed_events,
                policy.oldest_kept(now),
                policy.months()
            );
            if !run.dropped_partitions.is_empty() {
                println!(
                    "  dropped partitions: {}",
                    run.dropped_partitions.join(", ")
                );
            }
            for why in &run.waiting {
                println!("  still there: {why}");
            }
        }
        Command::Serve { demo } => {
            db.migrate()?;
            let keys = if demo || settings.demo {
                seed_demo(&db, &settings)?
            } else {
                refuse_demo_accounts(&db)?;
                claimed_log_keys(&db, &settings)?
            };
            serve(AppState::with_log_keys(db, settings, keys)?)?;
        }
    }
    Ok(())
}

/// A server that was not asked for the demo refuses a database holding its accounts: their
/// password is published, and a forgotten demo must not become a way in.
fn refuse_demo_accounts(db: &Database) -> Result<(), CliError> {
    let mut conn = db.get()?;
    if crate::seed::demo_accounts_present(&mut conn)? {
        return Err(CliError::refused(
            "the database holds the demo's accounts, whose password is published. Serve them \
             only as a demo (`einblick serve --demo` or EINBLICK_DEMO=true); for a real \
             deployment start from an empty database and create the first admin with \
             `einblick staff create --role admin --email …`",
        ));
    }
    Ok(())
}

/// Seeds the demo with the log's keys (checked against the log's), and hands them on.
#[cfg(feature = "demo")]
fn seed_demo(db: &Database, settings: &Settings) -> Result<crate::transparency::LogKeys, CliError> {
    let keys = claimed_log_keys(db, settings)?;
    report_seed(demo::seed(db, &keys)?);
    Ok(keys)
}

#[cfg(not(feature = "demo"))]
fn seed_demo(_: &Database, _: &Settings) -> Result<crate::transparency::LogKeys, CliError> {
    Err(CliError::refused(
        "this einblick was built without the demo (cargo feature `demo`)",
    ))
}

fn run_staff_action(db: &Database, action: StaffAction) -> Result<(), CliError> {
    let StaffAction::Create {
        role,
        email,
        name,
        authority,
        password_stdin,
    } = action;
    let role = crate::domain::StaffRole::parse(&role)
        .map_err(|e| CliError::refused(format!("--role: {e}")))?;
    let email = crate::domain::EmailAddress::parse(&email)
        .map_err(|e| CliError::refused(format!("--email: {e}")))?;
    let authority = authority.filter(|a| !a.trim().is_empty());
    if role == crate::domain::StaffRole::Regulator && authority.is_none() {
        return Err(CliError::refused(
            "--authority: a regulator belongs to a supervisory authority",
        ));
    }
    let name = name.unwrap_or_else(|| email.as_str().split('@').next().unwrap_or("").to_owned());
    let password = if password_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(|e| {
            CliError::refused(format!("cannot read the password from standard input: {e}"))
        })?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let first = rpassword::prompt_password(format!(
            "Password for {} (12 to 256 characters): ",
            email.as_str()
        ))
        .map_err(|e| CliError::refused(format!("cannot read the password: {e}")))?;
        let again = rpassword::prompt_password("The same password again: ")
            .map_err(|e| CliError::refused(format!("cannot read the password: {e}")))?;
        if first != again {
            return Err(CliError::refused(
                "the two passwords differ; nothing was created",
            ));
        }
        first
    };
    if !(12..=256).contains(&password.chars().count()) {
        return Err(CliError::refused(
            "the password must have 12 to 256 characters; nothing was created",
        ));
    }
    let hash = crate::password::hash(&password)?;
    let mut conn = db.get()?;
    if crate::db::staff_user::find_by_email(&mut conn, &email)
        .map_err(AppError::from)?
        .is_some()
    {
        return Err(CliError::refused(format!(
            "a staff account for {} exists already",
            email.as_str()
        )));
    }
    crate::db::staff_user::insert(
        &mut conn,
        &crate::db::staff_user::NewStaffUser {
            email: email.as_str(),
            password_hash: Some(&hash),
            display_name: &name,
            staff_role: role,
            authority: authority.as_deref(),
            is_active: true,
            created_at: chrono::Utc::now().naive_utc(),
            sso_subject: None,
        },
    )
    .map_err(AppError::from)?;
    println!(
        "created the {} account {}; sign in at /staff/login",
        role.code(),
        email.as_str()
    );
    Ok(())
}

/// How long a stopping server waits for the feed consumer's batch in hand. Storing a batch takes
/// well under a second; past this, its messages are redelivered after their deadline anyway.
const NATS_SHUTDOWN_WAIT: std::time::Duration = std::time::Duration::from_secs(25);

fn serve(state: AppState) -> Result<(), CliError> {
    actix_web::rt::System::new().block_on(async move {
        let started = http::start(state.clone()).map_err(|e| {
            CliError::refused(format!(
                "cannot listen on {} (setting LEPTOS_SITE_ADDR): {e}",
                state.settings.site_addr
            ))
        })?;
        println!(
            "Einblick is serving http://{} ({} database)",
            started.addr,
            state.db.location().backend_name()
        );
        // Returns on SIGTERM once the requests in flight are answered (actix's graceful stop;
        // SIGINT stops at once); then the feed consumer finishes its batch in hand.
        let stopped = started
            .server
            .await
            .map_err(|e| CliError::refused(format!("server stopped: {e}")));
        state.shutdown.begin();
        if let Some(consumer) = started.nats_consumer {
            if actix_web::rt::time::timeout(NATS_SHUTDOWN_WAIT, consumer)
                .await
                .is_err()
            {
                tracing::warn!(
                    "the NATS consumer did not finish its batch in time; it will be redelivered"
                );
            }
        }
        println!("Einblick stopped");
        stopped
    })
}

fn run_token_action(db: &Database, action: TokenAction) -> Result<(), CliError> {
    let mut conn = db.get()?;
    let now = chrono::Utc::now().naive_utc();
    match action {
        TokenAction::Create { sources, label } => {
            let sources = sources
                .iter()
                .map(|s| crate::ingest::token::parse_source(s))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| CliError::refused(format!("--source: {e}")))?;
            let label = label.unwrap_or_else(|| sources.join(", "));
            let (id, token) = crate::ingest::token::create(&mut conn, &label, &sources, now)?;
            println!(
                "token {id} for {}:\n{token}\nStore it now: it is not shown again.",
                sources.join(", ")
            );
        }
        TokenAction::List => {
            for token in crate::db::feed_token::list(&mut conn).map_err(AppError::from)? {
                let state = token
                    .revoked_at
                    .map(|t| format!("revoked {t}"))
                    .unwrap_or_else(|| "active".into());
                println!(
                    "{}\t{}\t{}\t{state}",
                    token.id,
                    token.label,
                    token.sources().join(",")
                );
            }
        }
        TokenAction::Revoke { id } => {
            match crate::db::feed_token::revoke(&mut conn, crate::domain::FeedTokenId(id), now)
                .map_err(AppError::from)?
            {
                0 => return Err(CliError::refused(format!("no active token with id {id}"))),
                _ => println!("token {id} revoked"),
            }
        }
    }
    Ok(())
}

fn run_service_token_action(db: &Database, action: ServiceTokenAction) -> Result<(), CliError> {
    let mut conn = db.get()?;
    let now = chrono::Utc::now().naive_utc();
    match action {
        ServiceTokenAction::Create { label } => {
            let label = crate::auth::service_token::parse_label(&label).ok_or_else(|| {
                CliError::refused("--label: 1 to 100 characters without control characters")
            })?;
            let (id, token) = crate::auth::service_token::create(&mut conn, &label, now)?;
            println!(
                "service token {id} ({label}):\n{token}\nStore it now: it is not shown again."
            );
        }
        ServiceTokenAction::List => {
            for token in crate::db::service_token::list(&mut conn).map_err(AppError::from)? {
                let state = token
                    .revoked_at
                    .map(|t| format!("revoked {t}"))
                    .unwrap_or_else(|| "active".into());
                println!(
                    "{}\t{}\t{}\t{state}",
                    token.id, token.label, token.created_at
                );
            }
        }
        ServiceTokenAction::Revoke { id } => {
            match crate::db::service_token::revoke(
                &mut conn,
                crate::domain::ServiceTokenId(id),
                now,
            )
            .map_err(AppError::from)?
            {
                0 => {
                    return Err(CliError::refused(format!(
                        "no active service token with id {id}"
                    )))
                }
                _ => println!("service token {id} revoked"),
            }
        }
    }
    Ok(())
}

fn import_customers(
    db: &Database,
    settings: &Settings,
    file: &std::path::Path,
    invite: bool,
) -> Result<(), CliError> {
    let report = crate::accounts::import::import(db, file, invite, &settings.public_url, |mail| {
        crate::email::deliver_account_now(settings, mail)
    })?;
    let invited = report.invited;
    println!(
        "customers imported: {} new, {} updated, {} unchanged, {} rejected; {invited} invitation(s) sent",
        report.created,
        report.updated,
        report.unchanged,
        report.rejected.len()
    );
    for (line, reason) in report.rejected.iter().take(20) {
        println!("  line {line}: {reason}");
    }
    if report.rejected.len() > 20 {
        println!("  … and {} more", report.rejected.len() - 20);
    }
    Ok(())
}

fn detect(db: &Database, from: &str, to: &str, rule: Option<&str>) -> Result<(), CliError> {
    let day = |raw: &str, flag: &str| {
        chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .ok_or_else(|| CliError::refused(format!("--{flag}: a day like 2026-01-31")))
    };
    let (from, to) = (day(from, "from")?, day(to, "to")?);
    if from >= to {
        return Err(CliError::refused("--to must be after --from"));
    }
    let only = match rule {
        Some(code) => Some(
            crate::domain::explanation::Rule::parse(code).ok_or_else(|| {
                let codes: Vec<&str> = crate::domain::explanation::Rule::ALL
                    .iter()
                    .map(|r| r.code())
                    .collect();
                CliError::refused(format!("--rule: one of {}", codes.join(", ")))
            })?,
        ),
        None => None,
    };
    let mut conn = db.get()?;
    let started = std::time::Instant::now();
    crate::explain::run::learn_baselines_from_accesses(&mut conn, to)?;
    let result = crate::explain::backtest::backtest(&mut conn, from, to, only)?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{} accesses from {} to {}: {} explained ({:.1} %), {} flagged ({:.1} %) in {seconds:.1} s",
        result.accesses,
        from.date(),
        to.date(),
        result.explained,
        result.share(result.explained),
        result.flagged,
        result.share(result.flagged),
    );
    println!(
        "{:<26} {:>9} {:>8} {:>10}",
        "rule", "fired", "share", "precision"
    );
    for (rule, figures) in &result.rules {
        let precision = if figures.decided == 0 {
            "-".to_owned()
        } else {
            format!(
                "{:.0} % of {}",
                figures.violations as f64 * 100.0 / figures.decided as f64,
                figures.decided
            )
        };
        println!(
            "{:<26} {:>9} {:>7.2}% {:>10}",
            rule.code(),
            figures.fired,
            result.share(figures.fired),
            precision
        );
    }
    Ok(())
}

fn log_keys(settings: &Settings) -> Result<crate::transparency::LogKeys, CliError> {
    crate::transparency::LogKeys::load_or_create(
        &settings.transparency.key_dir,
        &settings.transparency.origin,
    )
    .map_err(|e| CliError::refused(e.to_string()))
}

/// The log's keys for a command that writes to the log: checked against the keys the log is
/// kept with (recorded on first use), so no command signs or hashes with different ones.
fn claimed_log_keys(
    db: &Database,
    settings: &Settings,
) -> Result<crate::transparency::LogKeys, CliError> {
    use crate::transparency::identity::{claim, ClaimError};
    let keys = log_keys(settings)?;
    let mut conn = db.get()?;
    claim(&mut conn, &keys, chrono::Utc::now().naive_utc()).map_err(|e| match e {
        ClaimError::Mismatch(mismatch) => CliError::refused(mismatch.to_string()),
        ClaimError::Database(e) => CliError::App(e),
    })?;
    Ok(keys)
}

fn read_bundle(bundle: &std::path::Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(bundle)
        .map_err(|e| CliError::refused(format!("cannot read the bundle {}: {e}", bundle.display())))
}

/// `--key` is a file holding the key if such a file exists, else the key itself.
fn key_argument(key: &str) -> String {
    match std::fs::read_to_string(key) {
        Ok(text) => text,
        Err(_) => key.to_owned(),
    }
}

fn verify_timeline(
    bundle: &std::path::Path,
    key: &str,
    earlier: Option<&std::path::Path>,
    policy: Option<&std::path::Path>,
) -> Result<(), CliError> {
    use crate::transparency::timeline_bundle::{compare_with_earlier, describe, verify_timeline};
    let key = key_argument(key);
    let bytes = read_bundle(bundle)?;
    let verified = verify_timeline(&bytes, &key)?;
    let witnessed = policy
        .map(|policy| check_witnesses(&bytes, &key, policy))
        .transpose()?;
    let excused = match earlier {
        Some(earlier) => {
            let before = verify_timeline(&read_bundle(earlier)?, &key)?;
            compare_with_earlier(&before, &verified, chrono::Utc::now().date_naive())?
        }
        None => 0,
    };
    let held_back = verified
        .entries
        .iter()
        .filter(|entry| entry.access.is_null())
        .count();
    println!(
        "VERIFIED: the customer's timeline of {} chained entries is complete from their first \
         entry held up to the newest in this bundle (leaf {}), which is in the log {}, whose \
         checkpoint of {} entries (root {}) is signed by the key.",
        verified.entries.len(),
        verified
            .entries
            .last()
            .map_or_else(|| "-".to_owned(), |entry| entry.leaf_index.to_string()),
        verified.origin,
        verified.tree_size,
        verified.root
    );
    if verified.removed_by_retention > 0 {
        println!(
            "  {} earlier entries were removed under the retention policy: the log still holds \
             the leaf the chain links back to, but not what they said",
            verified.removed_by_retention
        );
    }
    if held_back > 0 {
        println!("  {held_back} of them held back from the timeline for now:");
        for entry in verified.entries.iter().filter(|e| e.access.is_null()) {
            println!("    leaf {}: {}", entry.leaf_index, describe(entry));
        }
    }
    if verified.unchained > 0 {
        println!(
            "  plus {} entries logged before chaining (format v1): each is in the log, but their \
             completeness cannot be shown and their text is withheld (it names the employee)",
            verified.unchained
        );
    }
    if earlier.is_some() {
        println!("  every entry of the earlier bundle is still there, unchanged");
        if excused > 0 {
            println!(
                "  (except {excused} of its entries, since removed under the retention policy: \
                 a pass note the log's key signed names their leaves, and they happened before \
                 the first day it kept)"
            );
        }
    }
    if let Some(witnessed) = witnessed {
        println!("{witnessed}");
    }
    Ok(())
}

/// Checks the cosignatures on a bundle's checkpoint against the witness policy in `policy`:
/// what to print when they make a quorum, else why not.
fn check_witnesses(bundle: &[u8], key: &str, policy: &std::path::Path) -> Result<String, CliError> {
    use crate::transparency::witness::Policy;
    let text = std::fs::read_to_string(policy).map_err(|e| {
        CliError::refused(format!(
            "cannot read the witness policy {}: {e}",
            policy.display()
        ))
    })?;
    let policy = Policy::parse(&text).map_err(|e| CliError::refused(e.to_string()))?;
    if !policy.logs.is_empty() && !policy.logs.iter().any(|log| log == key.trim()) {
        return Err(CliError::refused(
            "NOT VERIFIED: the witness policy does not list this log's key",
        ));
    }
    let checkpoint = serde_json::from_slice::<serde_json::Value>(bundle)
        .ok()
        .and_then(|bundle| bundle["checkpoint"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let witnessed = policy
        .check(checkpoint.as_bytes())
        .map_err(|e| CliError::refused(format!("NOT VERIFIED: {e}")))?;
    let names = match witnessed.by.is_empty() {
        true => "no witness of the policy".to_owned(),
        false => witnessed.by.join(", "),
    };
    if !witnessed.satisfies_policy {
        return Err(CliError::refused(format!(
            "NOT VERIFIED: the checkpoint is cosigned by {names}, which is not enough for the \
             witness policy"
        )));
    }
    Ok(format!(
        "WITNESSED: the checkpoint is cosigned by {names}, as the witness policy requires"
    ))
}

fn serve_witness(
    listen: &str,
    dir: &std::path::Path,
    name: Option<&str>,
    logs: &[String],
) -> Result<(), CliError> {
    init_logging("info");
    let keys: Vec<String> = logs
        .iter()
        .flat_map(|log| {
            key_argument(log)
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with('#'))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    let witness = crate::transparency::witness::serve::Witness::open(dir, name, &keys)
        .map_err(|e| CliError::refused(e.to_string()))?;
    crate::transparency::witness::serve::serve(witness, listen)
        .map_err(|e| CliError::refused(format!("the witness cannot serve on {listen}: {e}")))
}

fn verify_bundle(
    bundle: &std::path::Path,
    key: &str,
    policy: Option<&std::path::Path>,
) -> Result<(), CliError> {
    let bytes = read_bundle(bundle)?;
    let key = key_argument(key);
    let verified = crate::transparency::bundle::verify(&bytes, &key)?;
    let witnessed = policy
        .map(|policy| check_witnesses(&bytes, &key, policy))
        .transpose()?;
    let field = |path: &[&str]| {
        path.iter()
            .try_fold(&verified.access, |value, key| value.get(key))
            .and_then(|value| value.as_str())
            .unwrap_or("-")
            .to_owned()
    };
    println!(
        "VERIFIED: this access is entry {} of the log {}, whose checkpoint of {} entries (root {}) is signed by the key.",
        verified.leaf_index, verified.origin, verified.tree_size, verified.root
    );
    if let Some(witnessed) = witnessed {
        println!("{witnessed}");
    }
    if verified.access.is_null() {
        println!(
            "  The entry was logged in format v1, which names the employee: the bundle holds its \
             hash only, so its place in the log is proven but its text is not shown."
        );
        return Ok(());
    }
    if let Some(entry) = verified.leaf["customer_entry"].as_i64() {
        println!("  entry {entry} of this customer's chained timeline");
    }
    println!("  when:      {}", field(&["time"]));
    println!("  role:      {}", field(&["data", "actor", "role"]));
    println!(
        "  data:      {} ({})",
        field(&["data", "data_category"]),
        field(&["data", "action"])
    );
    println!("  reason:    {}", field(&["data", "reason", "code"]));
    println!("  event:     {} {}", field(&["source"]), field(&["id"]));
    Ok(())
}

#[cfg(feature = "demo")]
fn report_seed(outcome: SeedOutcome) {
    match outcome {
        SeedOutcome::Seeded { customers, events } => println!(
            "demo data loaded: {customers} customers, {events} access events; sign in as anna@example.com / {}",
            demo::DEMO_PASSWORD
        ),
        SeedOutcome::AlreadyPresent => println!("demo data is already present; nothing to do"),
    }
}

/// Why a command did not do what it was asked, for the operator (`main` prints it).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    App(#[from] AppError),
    #[error("NOT VERIFIED: {0}")]
    NotVerified(#[from] crate::transparency::bundle::VerifyError),
    #[error("NOT VERIFIED: {0}")]
    TimelineNotVerified(#[from] crate::transparency::timeline_bundle::TimelineError),
    #[error("{0}")]
    Refused(String),
}

impl CliError {
    fn refused(message: impl Into<String>) -> Self {
        Self::Refused(message.into())
    }
}

fn init_logging(filter: &str) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_target(false)
        .try_init();
}
