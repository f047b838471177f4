//! Sign-in throttling that slows guessing without locking the account's owner out (OWASP's
//! "device cookie" pattern):
//!
//! - A browser that signed in to an account before carries a device cookie. It is not subject to
//!   the account's lockout; after too many failures of its own it loses that trust.
//! - Every other client of an account shares one budget: after `EINBLICK_LOGIN_MAX_FAILURES`
//!   failures within `EINBLICK_LOGIN_LOCKOUT_MINUTES` they wait until the oldest leaves the window.
//! - One client address may fail a few times freely; after that each attempt waits a delay that
//!   doubles with every further failure (capped at the lockout window). The address is the
//!   client's own, read through `EINBLICK_TRUSTED_PROXIES`, so one proxy's users do not share it.
//!
//! An attempt is counted as a failure before the password is checked and taken back when it
//! succeeds, so concurrent guesses cannot all slip past the same count.

use chrono::{Duration, NaiveDateTime};
use sha2::{Digest, Sha256};

use super::session::SessionKind;
use crate::config::Settings;
use crate::db::{login_failure, trusted_device, AnyConnection};
use crate::domain::EmailAddress;
use crate::error::AppError;

/// How many failures one address has before its delays start, per allowed account failure.
const FREE_ADDRESS_FAILURES_FACTOR: u32 = 2;

/// How long a device stays trusted after its last sign-in.
pub const DEVICE_TRUST_DAYS: i64 = 180;

#[derive(Clone)]
pub struct Throttle {
    account_key: String,
    address_key: String,
    /// The hash of the device cookie the client presented, if any.
    device: Option<String>,
    max_failures: u32,
    window: Duration,
}

/// An attempt admitted past the throttle, counted as a failure until settled.
pub struct Attempt {
    recorded: Vec<i64>,
    /// The device cookie is trusted for this account.
    trusted_device: bool,
    device_failures: i32,
}

impl Throttle {
    pub fn new(
        settings: &Settings,
        kind: SessionKind,
        email: &EmailAddress,
        client_address: &str,
        device_token: Option<&str>,
    ) -> Self {
        let account = match kind {
            SessionKind::Customer => "customer",
            SessionKind::Staff => "staff",
        };
        Self {
            account_key: hashed(&format!("{account}:{}", email.as_str())),
            address_key: hashed(&format!("address:{client_address}")),
            device: device_token.map(|token| hashed(&format!("device:{token}"))),
            max_failures: settings.login_max_failures,
            window: Duration::minutes(i64::from(settings.login_lockout_minutes)),
        }
    }

    /// Counts this attempt, or says how long to wait first. Runs in a write transaction.
    pub fn admit(
        &self,
        conn: &mut AnyConnection,
        now: NaiveDateTime,
    ) -> Result<Result<Attempt, std::time::Duration>, AppError> {
        let since = now - self.window;
        login_failure::delete_before(conn, since)?;
        trusted_device::delete_before(conn, now - Duration::days(DEVICE_TRUST_DAYS))?;
        let device_failures = match &self.device {
            Some(device) => trusted_device::failures(conn, device, &self.account_key)?,
            None => None,
        };
        if let Some(failures) = device_failures {
            // A known device is judged only by its own failures.
            trusted_device::set_failures(conn, self.device_key(), failures + 1)?;
            return Ok(Ok(Attempt {
                recorded: Vec::new(),
                trusted_device: true,
                device_failures: failures + 1,
            }));
        }
        if let Some(wait) = self.account_wait(conn, since, now)? {
            return Ok(Err(wait));
        }
        if let Some(wait) = self.address_wait(conn, since, now)? {
            return Ok(Err(wait));
        }
        let recorded = vec![
            login_failure::record(conn, &self.account_key, now)?,
            login_failure::record(conn, &self.address_key, now)?,
        ];
        Ok(Ok(Attempt {
            recorded,
            trusted_device: false,
            device_failures: 0,
        }))
    }

    /// Untrusted clients of an account wait once it has failed too often.
    fn account_wait(
        &self,
        conn: &mut AnyConnection,
        since: NaiveDateTime,
        now: NaiveDateTime,
    ) -> Result<Option<std::time::Duration>, AppError> {
        if login_failure::count_since(conn, &self.account_key, since)?
            < i64::from(self.max_failures)
        {
            return Ok(None);
        }
        let oldest = login_failure::oldest_since(conn, &self.account_key, since)?.unwrap_or(now);
        Ok(Some(seconds_until(oldest + self.window, now)))
    }

    /// An address waits a delay that doubles with each failure beyond its free ones.
    fn address_wait(
        &self,
        conn: &mut AnyConnection,
        since: NaiveDateTime,
        now: NaiveDateTime,
    ) -> Result<Option<std::time::Duration>, AppError> {
        let failures = login_failure::count_since(conn, &self.address_key, since)?;
        let free = i64::from(self.max_failures * FREE_ADDRESS_FAILURES_FACTOR);
        if failures < free {
            return Ok(None);
        }
        let doublings = u32::try_from(failures - free).unwrap_or(u32::MAX).min(20);
        let delay = Duration::seconds(1_i64 << doublings).min(self.window);
        let newest = login_failure::newest_since(conn, &self.address_key, since)?.unwrap_or(now);
        Ok((newest + delay > now).then(|| seconds_until(newest + delay, now)))
    }

    /// Settles an admitted attempt. A success takes its failure back and trusts the device (the
    /// returned token is the device cookie to set, a fresh one); a failure stays counted, and a
    /// trusted device that failed too often is trusted no more.
    pub fn settle(
        &self,
        conn: &mut AnyConnection,
        attempt: Attempt,
        succeeded: bool,
        now: NaiveDateTime,
    ) -> Result<Option<String>, AppError> {
        if !succeeded {
            if attempt.trusted_device && attempt.device_failures >= self.max_failures as i32 {
                trusted_device::delete(conn, self.device_key())?;
            }
            return Ok(None);
        }
        login_failure::delete_ids(conn, &attempt.recorded)?;
        if let Some(device) = &self.device {
            trusted_device::delete(conn, device)?;
        }
        let token = super::session::new_token();
        trusted_device::insert(
            conn,
            &hashed(&format!("device:{token}")),
            &self.account_key,
            now,
        )?;
        Ok(Some(token))
    }

    fn device_key(&self) -> &str {
        self.device.as_deref().unwrap_or_default()
    }
}

/// Keys are hashed: the tables must not become lists of addresses and emails people typed.
fn hashed(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

fn seconds_until(then: NaiveDateTime, now: NaiveDateTime) -> std::time::Duration {
    std::time::Duration::from_secs((then - now).num_seconds().max(1) as u64)
}
