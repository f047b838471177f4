//! Sign-in throttling: after too many failures for one account (or from one address) within
//! the lockout window, further attempts get 429 until the window has passed.

use chrono::{Duration, NaiveDateTime};
use sha2::{Digest, Sha256};

use crate::config::Settings;
use crate::db::{login_failure, AnyConnection};
use crate::domain::EmailAddress;
use crate::error::AppError;

/// An address may fail more often than one account: several people can share it.
const ADDRESS_FAILURE_FACTOR: u32 = 4;

pub struct Throttle {
    account_key: String,
    address_key: String,
    max_failures: u32,
    window: Duration,
}

impl Throttle {
    pub fn new(settings: &Settings, email: &EmailAddress, client_address: &str) -> Self {
        // Keys are hashed: the table must not become a list of addresses people typed.
        let hashed = |prefix: &str, value: &str| {
            format!("{prefix}:{}", hex::encode(Sha256::digest(value.as_bytes())))
        };
        Self {
            account_key: hashed("account", email.as_str()),
            address_key: hashed("address", client_address),
            max_failures: settings.login_max_failures,
            window: Duration::minutes(i64::from(settings.login_lockout_minutes)),
        }
    }

    /// `Some(wait)` when this attempt must be refused, with how long until it may be retried.
    pub fn locked_for(
        &self,
        conn: &mut AnyConnection,
        now: NaiveDateTime,
    ) -> Result<Option<std::time::Duration>, AppError> {
        let since = now - self.window;
        let limits = [
            (&self.account_key, self.max_failures),
            (
                &self.address_key,
                self.max_failures * ADDRESS_FAILURE_FACTOR,
            ),
        ];
        for (key, limit) in limits {
            if login_failure::count_since(conn, key, since)? >= i64::from(limit) {
                let oldest = login_failure::oldest_since(conn, key, since)?.unwrap_or(now);
                let wait = (oldest + self.window - now).num_seconds().max(1);
                return Ok(Some(std::time::Duration::from_secs(wait as u64)));
            }
        }
        Ok(None)
    }

    pub fn record_failure(
        &self,
        conn: &mut AnyConnection,
        now: NaiveDateTime,
    ) -> Result<(), AppError> {
        login_failure::record(conn, &self.account_key, now)?;
        login_failure::record(conn, &self.address_key, now)?;
        login_failure::delete_before(conn, now - self.window)?;
        Ok(())
    }

    pub fn record_success(&self, conn: &mut AnyConnection) -> Result<(), AppError> {
        login_failure::clear(conn, &self.account_key)?;
        Ok(())
    }
}
