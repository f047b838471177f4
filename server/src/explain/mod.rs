//! Every access explained or flagged. Business records (`einblick.context.v1`) explain
//! accesses by customer, time window and role fit; rules flag the rest (no reason, a stated
//! ticket that does not exist, a high-profile customer, a self-lookup, a shared surname or
//! postcode, an unexplained search, unusual volume, outside the shift, repeated looks); flagged
//! accesses gather into one investigation per employee.
//!
//! New accesses are judged once, in batches after they are stored; a record or directory entry
//! that arrives later marks the accesses it touches pending, and they are judged again.

pub mod backtest;
pub mod evaluate;
pub mod run;
pub mod text;

use std::sync::Arc;
use std::time::Duration;

use crate::db::Database;

/// How often the worker looks for work when nobody nudged it.
const IDLE_INTERVAL: Duration = Duration::from_secs(2);
/// How often the volume rule's baselines are learned again.
const BASELINE_INTERVAL: Duration = Duration::from_secs(3600);

/// Wakes the background judge; cheap to clone.
#[derive(Clone)]
pub struct Explainer {
    wake: Arc<tokio::sync::Notify>,
    enabled: bool,
}

impl Default for Explainer {
    fn default() -> Self {
        Self {
            wake: Arc::default(),
            enabled: true,
        }
    }
}

impl Explainer {
    /// A judge that never runs: the ingest benchmark's baseline. Accesses stay unjudged until a
    /// process with a running judge (or `settle`) catches up.
    pub fn off() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }

    /// New accesses or records were stored: judge soon.
    pub fn nudge(&self) {
        self.wake.notify_one();
    }

    /// Judges outstanding accesses until stopped: after each nudge, and every few seconds.
    pub async fn run(self, db: Database) {
        if !self.enabled {
            return;
        }
        let mut last_learned: Option<std::time::Instant> = None;
        loop {
            let learn = last_learned.is_none_or(|at| at.elapsed() >= BASELINE_INTERVAL);
            let worked = db
                .run(move |conn| {
                    let now = chrono::Utc::now().naive_utc();
                    if learn {
                        run::learn_baselines(conn, now)?;
                    }
                    let mut done = 0;
                    // Bounded, so a flood of history never holds the worker for long.
                    for _ in 0..10 {
                        let batch = run::catch_up(conn, run::BATCH, now)?
                            + run::reevaluate_pending(conn, run::BATCH, now)?;
                        done += batch;
                        if batch == 0 {
                            break;
                        }
                    }
                    Ok(done)
                })
                .await;
            if learn {
                last_learned = Some(std::time::Instant::now());
            }
            match worked {
                Ok(done) if done > 0 => continue,
                Ok(_) => {}
                Err(error) => tracing::error!(error = %error, "judging accesses failed; retrying"),
            }
            let _ = actix_web::rt::time::timeout(IDLE_INTERVAL, self.wake.notified()).await;
        }
    }
}
