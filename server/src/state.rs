//! What every request handler and background job shares. It sits below the features: they
//! import it, it imports none of them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::config::Settings;
use crate::db::lookup::LookupCache;
use crate::db::Database;
use crate::error::AppError;
use crate::explain::Explainer;
use crate::metrics::Metrics;
use crate::oidc::OidcProvider;
use crate::password::PasswordHasher;
use crate::transparency::witness::submit::Witnessing;
use crate::transparency::LogKeys;

#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
    /// The verifiable log's signing and customer-hash keys, loaded (or created) at start.
    pub log_keys: Arc<LogKeys>,
    /// Argon2 off the async workers, a bounded number at a time.
    pub passwords: PasswordHasher,
    /// The company's identity provider for staff, when configured.
    pub staff_sso: Option<OidcProvider>,
    /// The retailer's customer identity provider, when configured.
    pub customer_oidc: Option<OidcProvider>,
    /// Judges new accesses in the background; nudged after each stored batch.
    pub explainer: Explainer,
    /// The witnesses checkpoints go to and the policy that counts their cosignatures, when
    /// configured (`EINBLICK_WITNESS_POLICY`).
    pub witnessing: Option<Arc<Witnessing>>,
    /// The lookup tables (labels), read at most every 30 s by each process.
    pub lookups: Arc<LookupCache>,
    /// Set when the server stops taking requests: background jobs finish what is in hand.
    pub shutdown: Shutdown,
}

/// Tells background jobs that the process is shutting down, so that they finish the work in
/// hand (a feed batch being stored and acknowledged) and take no more.
#[derive(Clone, Default)]
pub struct Shutdown(Arc<AtomicBool>);

impl Shutdown {
    pub fn begin(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn has_begun(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl AppState {
    /// Fails when the log's keys can neither be read nor created (the message names the file).
    pub fn new(db: Database, settings: Settings) -> Result<Self, AppError> {
        let log_keys = LogKeys::load_or_create(
            &settings.transparency.key_dir,
            &settings.transparency.origin,
        )
        .map_err(|e| AppError::internal(e.to_string()))?;
        Self::with_log_keys(db, settings, log_keys)
    }

    /// With the log's keys already loaded (and checked, as `serve` does).
    pub fn with_log_keys(
        db: Database,
        settings: Settings,
        log_keys: LogKeys,
    ) -> Result<Self, AppError> {
        let witnessing = match &settings.transparency.witness_policy {
            Some(path) => Some(Arc::new(Witnessing::load(path)?)),
            None => None,
        };
        let metrics = Arc::new(Metrics::default());
        let staff_sso = settings
            .staff_sso
            .as_ref()
            .map(|sso| OidcProvider::new(sso.oidc.clone()));
        let customer_oidc = settings
            .customer_oidc
            .as_ref()
            .map(|oidc| OidcProvider::new(oidc.oidc.clone()));
        Ok(Self {
            explainer: Explainer::default(),
            witnessing,
            lookups: Arc::default(),
            shutdown: Shutdown::default(),
            staff_sso,
            customer_oidc,
            db,
            passwords: PasswordHasher::new(settings.password_hash_concurrency, metrics.clone()),
            settings: Arc::new(settings),
            metrics,
            log_keys: Arc::new(log_keys),
        })
    }
}
