//! Argon2id password hashes in PHC string format, computed off the async workers.
//!
//! A hash costs tens of milliseconds of one core on purpose. Run on an actix worker it stalls
//! every request that worker holds, and run unbounded it lets anyone who posts a password keep
//! every core busy. So request handlers go through [`PasswordHasher`]: each hash or check runs
//! on the blocking pool, and at most `EINBLICK_PASSWORD_HASH_CONCURRENCY` run at once; the rest
//! queue, and page requests keep their workers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::Argon2;
use tokio::sync::Semaphore;

use crate::error::AppError;
use crate::metrics::Metrics;

/// Hashes `password` now, on this thread: for the command line and the demo data.
pub fn hash(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(format!("password hashing failed: {e}")))
}

/// True when `password` matches `stored`. A malformed stored hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Spends the same work as a real check when the account does not exist, so the response time
/// does not reveal whether an email address has an account.
fn verify_against_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("no account has this password").unwrap_or_default());
    let _ = verify(password, dummy);
}

/// The bounded blocking pool every request-time hash and check goes through. Cheap to clone.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    running: Arc<AtomicUsize>,
    metrics: Arc<Metrics>,
}

impl PasswordHasher {
    pub fn new(concurrency: u32, metrics: Arc<Metrics>) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1) as usize)),
            running: Arc::default(),
            metrics,
        }
    }

    /// A new hash of `password`.
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.run(move || hash(&password)).await?
    }

    /// Whether `password` matches `stored`; with no stored hash (no such account, or one that
    /// signs in elsewhere) the same work is spent and the answer is no.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, AppError> {
        self.run(move || match stored {
            Some(stored) => verify(&password, &stored),
            None => {
                verify_against_dummy(&password);
                false
            }
        })
        .await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| AppError::internal(format!("password pool closed: {e}")))?;
        let running = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.metrics.record_password_hash(running);
        let outcome = actix_web::rt::task::spawn_blocking(work).await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        outcome.map_err(|e| AppError::internal(format!("password task failed: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_own_password() {
        let stored = hash("correct horse").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse", &stored));
        assert!(!verify("wrong horse", &stored));
    }

    #[test]
    fn a_malformed_hash_never_matches() {
        assert!(!verify("anything", "not-a-hash"));
    }

    #[test]
    fn the_pool_runs_no_more_hashes_at_once_than_allowed() {
        let metrics = Arc::new(Metrics::default());
        let pool = PasswordHasher::new(2, metrics.clone());
        actix_web::rt::System::new().block_on(async move {
            let checks: Vec<_> = (0..6)
                .map(|_| {
                    let pool = pool.clone();
                    actix_web::rt::spawn(
                        async move { pool.verify("guess".into(), None).await.unwrap() },
                    )
                })
                .collect();
            for check in checks {
                assert!(!check.await.unwrap());
            }
        });
        let (total, peak) = metrics.password_hashes();
        assert_eq!(total, 6);
        assert!((1..=2).contains(&peak), "peak {peak}");
    }
}
