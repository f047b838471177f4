//! The `einblick` command line: `serve`, `migrate`, `seed-demo`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::db::{Database, DatabaseLocation};
use crate::error::AppError;
use crate::http::{self, AppState};
use crate::seed::demo::{self, SeedOutcome};

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
    /// Apply pending migrations, seed demo data into an empty SQLite database, and serve the portal.
    Serve,
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

pub fn run(cli: Cli) -> Result<(), String> {
    let settings = Settings::load(cli.config.as_deref()).map_err(|e| e.to_string())?;
    init_logging(&settings.log_filter);
    let db =
        Database::connect(settings.database.clone(), settings.db_pool_size).map_err(describe)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Migrate => {
            let applied = db.migrate().map_err(describe)?;
            println!(
                "{} migration(s) applied to {:?}",
                applied.len(),
                settings.database
            );
        }
        Command::SeedDemo => {
            db.migrate().map_err(describe)?;
            report_seed(demo::seed(&db).map_err(describe)?);
        }
        Command::Import { file } => {
            db.migrate().map_err(describe)?;
            let report = crate::ingest::import::import(&db, &file).map_err(describe)?;
            println!(
                "import finished: {} accepted, {} duplicates, {} rejected (kept in the dead-letter store)",
                report.accepted, report.duplicates, report.rejected
            );
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
            db.migrate().map_err(describe)?;
            run_token_action(&db, action)?;
        }
        Command::Serve => {
            db.migrate().map_err(describe)?;
            let empty_sqlite = matches!(settings.database, DatabaseLocation::Sqlite(_))
                && db
                    .get()
                    .and_then(|mut c| Ok(crate::db::customer::count(&mut c)?))
                    .map_err(describe)?
                    == 0;
            if empty_sqlite && settings.seed_demo_on_empty {
                println!("empty database: loading demo data (EINBLICK_SEED_DEMO_ON_EMPTY=false turns this off)");
                report_seed(demo::seed(&db).map_err(describe)?);
            }
            serve(AppState::new(db, settings))?;
        }
    }
    Ok(())
}

fn serve(state: AppState) -> Result<(), String> {
    actix_web::rt::System::new().block_on(async move {
        let started = http::start(state.clone()).map_err(|e| {
            format!(
                "cannot listen on {} (setting LEPTOS_SITE_ADDR): {e}",
                state.settings.site_addr
            )
        })?;
        println!(
            "Einblick is serving http://{} ({} database)",
            started.addr,
            state.db.location().backend_name()
        );
        started
            .server
            .await
            .map_err(|e| format!("server stopped: {e}"))
    })
}

fn run_token_action(db: &Database, action: TokenAction) -> Result<(), String> {
    let mut conn = db.get().map_err(describe)?;
    let now = chrono::Utc::now().naive_utc();
    match action {
        TokenAction::Create { sources, label } => {
            let sources = sources
                .iter()
                .map(|s| crate::ingest::token::parse_source(s))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("--source: {e}"))?;
            let label = label.unwrap_or_else(|| sources.join(", "));
            let (id, token) =
                crate::ingest::token::create(&mut conn, &label, &sources, now).map_err(describe)?;
            println!(
                "token {id} for {}:\n{token}\nStore it now: it is not shown again.",
                sources.join(", ")
            );
        }
        TokenAction::List => {
            for token in crate::db::feed_token::list(&mut conn).map_err(|e| describe(e.into()))? {
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
            match crate::db::feed_token::revoke(&mut conn, id, now)
                .map_err(|e| describe(e.into()))?
            {
                0 => return Err(format!("no active token with id {id}")),
                _ => println!("token {id} revoked"),
            }
        }
    }
    Ok(())
}

fn report_seed(outcome: SeedOutcome) {
    match outcome {
        SeedOutcome::Seeded { customers, events } => println!(
            "demo data loaded: {customers} customers, {events} access events; sign in as anna@example.com / {}",
            demo::DEMO_PASSWORD
        ),
        SeedOutcome::AlreadyPresent => println!("demo data is already present; nothing to do"),
    }
}

fn describe(error: AppError) -> String {
    error.to_string()
}

fn init_logging(filter: &str) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_target(false)
        .try_init();
}
