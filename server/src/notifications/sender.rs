//! Sends what the outbox holds: over SMTP, or as `.eml` files when no SMTP server is
//! configured. Each email is marked sent once, right after the server took it; a failure is
//! tried again later, each time after twice the pause (from `EINBLICK_EMAIL_RETRY_SECONDS`, at
//! most 6 hours), and given up on after [`MAX_ATTEMPTS`] or at once when the SMTP server refused
//! it for good (a 5xx reply). Killed between handing an email over
//! and marking it, the next sender hands it over again: SMTP's own at-least-once, with the same
//! Message-ID.

use chrono::{Duration, NaiveDateTime, Utc};

use crate::config::Settings;
use crate::db::email_outbox;
use crate::db::AnyConnection;
use crate::error::AppError;

/// Tries before an email counts as failed.
pub const MAX_ATTEMPTS: i32 = 12;
/// Emails sent per round.
const BATCH: i64 = 50;
/// How long a sender's claim on one email lasts: longer than any delivery (lettre gives each
/// SMTP step 10 s), so no second sender takes an email that is still being handed over.
const CLAIM_SECONDS: i64 = 60;
/// The longest pause between two tries.
const MAX_PAUSE_SECONDS: i64 = 6 * 3600;

/// The pause after the `attempt`-th failed try (1-based).
pub fn pause_after(first_pause_seconds: u32, attempt: i32) -> Duration {
    let doubled = i64::from(first_pause_seconds)
        .saturating_mul(1_i64 << attempt.clamp(1, 20).saturating_sub(1));
    Duration::seconds(doubled.min(MAX_PAUSE_SECONDS))
}

/// Sends the emails due now while `holder` keeps the lease; returns (sent, failed tries).
pub fn send_due(
    conn: &mut AnyConnection,
    settings: &Settings,
    holder: &str,
) -> Result<(usize, usize), AppError> {
    let (mut sent, mut failed) = (0, 0);
    for email in email_outbox::due(conn, Utc::now().naive_utc(), BATCH)? {
        // The lease is renewed with each claim, in one short write: a sender that stalled past
        // its lease stops here.
        let now = Utc::now().naive_utc();
        let claimed = crate::db::write_transaction(conn, |conn| {
            if !super::hold_lease(conn, holder, now)? {
                return Ok(None);
            }
            let until = now + Duration::seconds(CLAIM_SECONDS);
            Ok(Some(email_outbox::claim(conn, email.id, now, until)?))
        })?;
        match claimed {
            None => break,
            Some(false) => continue,
            Some(true) => {}
        }
        let name = format!(
            "{}-{}-{}",
            email.queued_at.format("%Y%m%dT%H%M%S%.6fZ"),
            email.kind,
            email.id
        );
        let delivered =
            crate::email::deliver_queued(settings, &email.recipient, &name, &email.message);
        let now: NaiveDateTime = Utc::now().naive_utc();
        let domain = email.recipient.rsplit('@').next().unwrap_or("");
        match delivered {
            Ok(()) => {
                crate::db::write_transaction(conn, |conn| {
                    Ok(email_outbox::mark_sent(conn, email.id, now)?)
                })?;
                sent += 1;
                tracing::info!(
                    kind = email.kind,
                    recipient_domain = domain,
                    "notification sent"
                );
            }
            Err(error) => {
                let attempt = email.attempts + 1;
                let retry_at = (attempt < MAX_ATTEMPTS && !error.permanent)
                    .then(|| now + pause_after(settings.email_retry_seconds, attempt));
                crate::db::write_transaction(conn, |conn| {
                    Ok(email_outbox::mark_failed_attempt(
                        conn,
                        email.id,
                        &error.reason,
                        retry_at,
                        now,
                    )?)
                })?;
                failed += 1;
                tracing::warn!(
                    kind = email.kind,
                    recipient_domain = domain,
                    attempt,
                    error = %error.reason,
                    permanent = error.permanent,
                    "notification not sent"
                );
            }
        }
    }
    Ok((sent, failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_retry_waits_twice_as_long_up_to_six_hours() {
        assert_eq!(pause_after(60, 1), Duration::seconds(60));
        assert_eq!(pause_after(60, 2), Duration::seconds(120));
        assert_eq!(pause_after(60, 5), Duration::seconds(960));
        assert_eq!(pause_after(60, 11), Duration::hours(6));
        assert_eq!(
            pause_after(1, 40),
            Duration::seconds(524_288).min(Duration::hours(6))
        );
    }
}
