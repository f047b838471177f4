//! Customers are told: alerts for accesses (every one, or the unexplained ones, or those to
//! chosen data categories), a weekly digest by default, delivered through a durable outbox.
//!
//! The judge notes the accesses a customer wants to hear about (`pending_alerts`) in the
//! transaction that judged them; this worker gathers them per customer into at most one alert
//! email per window and the weekly digests, each queued in `email_outbox` in the transaction
//! that decided it, and sends what is queued, retrying with back-off. One process at a time
//! does this work, by a lease in the database.

pub mod alerts;
pub mod digest;
pub mod lines;
pub mod preferences;
pub mod sender;
pub mod token;
pub mod unsubscribe;

use std::time::Duration;

use chrono::{NaiveDateTime, Utc};

use crate::config::Settings;
use crate::db::{email_outbox, lease, AnyConnection};
use crate::error::AppError;
use crate::state::AppState;
use crate::transparency::LogKeys;
use crate::web::routes::{Access, Routes};

pub fn routes(routes: &mut Routes) {
    routes.post(
        "/settings/notifications",
        Access::Customer,
        preferences::save,
    );
    routes.get("/unsubscribe", Access::Public, unsubscribe::by_link);
    routes.post("/unsubscribe", Access::Public, unsubscribe::one_click);
    routes.post("/unsubscribe/undo", Access::Public, unsubscribe::undo);
}

/// The lease that makes one process at a time compose and send.
pub const LEASE: &str = "notifications";
/// How long the lease holds without renewal; a killed sender's work resumes after this.
pub const LEASE_SECONDS: i64 = 20;
/// Days a sent (or given up, or cancelled) email's text and address are kept.
pub const KEEP_SENT_DAYS: i64 = 30;
/// How often old emails are emptied.
const FORGET_INTERVAL: Duration = Duration::from_secs(3600);
/// How often the worker looks for work.
const INTERVAL: Duration = Duration::from_secs(2);

/// What one round of the worker did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    /// `false`: another process holds the lease.
    pub held_lease: bool,
    pub alerts_queued: usize,
    pub digests_queued: usize,
    pub sent: usize,
    pub failed: usize,
}

impl Round {
    pub fn did_work(&self) -> bool {
        self.alerts_queued + self.digests_queued + self.sent > 0
    }
}

/// Composes and sends until the process ends (when `EINBLICK_NOTIFIER` is on).
pub async fn run(state: AppState) {
    if !state.settings.notifier {
        return;
    }
    let holder = format!(
        "{}-{}",
        std::process::id(),
        &crate::auth::session::new_token()[..8]
    );
    let mut last_forgotten: Option<std::time::Instant> = None;
    loop {
        if last_forgotten.is_none_or(|at| at.elapsed() >= FORGET_INTERVAL) {
            last_forgotten = Some(std::time::Instant::now());
            let forgotten = state
                .db
                .write(|conn| {
                    let before = Utc::now().naive_utc() - chrono::Duration::days(KEEP_SENT_DAYS);
                    Ok(email_outbox::forget_old(conn, before)?)
                })
                .await;
            if let Err(e) = forgotten {
                tracing::warn!(error = %e, "old notification emails could not be emptied");
            }
        }
        let settings = state.settings.clone();
        let keys = state.log_keys.clone();
        let holder = holder.clone();
        let done = state
            .db
            .run(move |conn| round(conn, &settings, &keys, &holder, Utc::now().naive_utc()))
            .await;
        match &done {
            Ok(round) if round.sent + round.failed > 0 => tracing::info!(
                alerts = round.alerts_queued,
                digests = round.digests_queued,
                sent = round.sent,
                failed = round.failed,
                "notification round"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "notification round failed; trying again"),
        }
        // A round that found work goes on at once: a backlog is sent as fast as SMTP takes it.
        if !done.is_ok_and(|round| round.did_work()) {
            actix_web::rt::time::sleep(INTERVAL).await;
        }
    }
}

/// One round: with the lease, queue the alerts and digests that are due, then send what is
/// queued.
pub fn round(
    conn: &mut AnyConnection,
    settings: &Settings,
    keys: &LogKeys,
    holder: &str,
    now: NaiveDateTime,
) -> Result<Round, AppError> {
    // Every write goes through write_transaction: on SQLite that is the process's one writer.
    if !crate::db::write_transaction(conn, |conn| hold_lease(conn, holder, now))? {
        return Ok(Round::default());
    }
    // Composing that fails (for one customer or all) never keeps what is queued from going out.
    let alerts_queued = alerts::queue_due(conn, settings, keys, now).unwrap_or_else(|e| {
        tracing::error!(error = %e, "alerts could not be composed");
        0
    });
    let digests_queued = digest::queue_due(conn, settings, keys, now).unwrap_or_else(|e| {
        tracing::error!(error = %e, "digests could not be composed");
        0
    });
    let (sent, failed) = sender::send_due(conn, settings, holder)?;
    Ok(Round {
        held_lease: true,
        alerts_queued,
        digests_queued,
        sent,
        failed,
    })
}

/// Takes or renews the lease for [`LEASE_SECONDS`] from `now`.
pub fn hold_lease(
    conn: &mut AnyConnection,
    holder: &str,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    Ok(lease::take(
        conn,
        LEASE,
        holder,
        now,
        now + chrono::Duration::seconds(LEASE_SECONDS),
    )?)
}
