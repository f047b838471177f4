//! The `einblick` command line: `serve`, `migrate`, `seed-demo`.

use std::path::PathBuf;
use std::sync::Arc;

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
            serve(AppState {
                db,
                settings: Arc::new(settings),
            })?;
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
