//! Keeps `access_events` in shape, when the server starts and every hour: applies the retention
//! policy (`EINBLICK_RETENTION_MONTHS`, if set), then makes the monthly partitions ready
//! (`db::partition`), so next month's exists before its first event and months that turned up
//! in the default partition get their own. After a month that could not be created or
//! dropped, again in five minutes.

use std::sync::Arc;
use std::time::Duration;

use crate::db::{partition, Database};
use crate::domain::RetentionPolicy;
use crate::transparency::LogKeys;

const EVERY: Duration = Duration::from_secs(3600);
const AFTER_A_FAILURE: Duration = Duration::from_secs(300);

pub async fn keep_partitions_ready(
    db: Database,
    keys: Arc<LogKeys>,
    retention: Option<RetentionPolicy>,
) {
    loop {
        // Retention first: an old event that arrived late is removed, not given a partition.
        let retention_done = match retention {
            None => true,
            Some(policy) => apply_retention(&db, &keys, policy).await,
        };
        let run = db
            .run(|conn| {
                Ok(partition::ensure_months(
                    conn,
                    chrono::Utc::now().naive_utc(),
                )?)
            })
            .await;
        let partitions_done = match run {
            Ok(run) => {
                if !run.created.is_empty() {
                    tracing::info!(partitions = ?run.created, "created partitions of access_events");
                }
                for (name, problem) in &run.failed {
                    tracing::warn!(partition = %name, %problem, "cannot create a partition of access_events yet");
                }
                run.failed.is_empty()
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot create the partitions of access_events");
                false
            }
        };
        let wait = if retention_done && partitions_done {
            EVERY
        } else {
            AFTER_A_FAILURE
        };
        actix_web::rt::time::sleep(wait).await;
    }
}

/// Whether the pass ran (what waits for a checkpoint, a dispute and the like is reported, and
/// tried again at the next hourly run); a pass that failed, a lock not granted in time among
/// the causes, is tried again sooner.
async fn apply_retention(db: &Database, keys: &Arc<LogKeys>, policy: RetentionPolicy) -> bool {
    let keys = keys.clone();
    let run = db
        .run(move |conn| {
            let now = chrono::Utc::now().naive_utc();
            crate::transparency::retention::apply(conn, &keys, policy, now)
        })
        .await;
    match run {
        Ok(run) => {
            if run.removed_events > 0 {
                tracing::info!(
                    events = run.removed_events,
                    partitions = ?run.dropped_partitions,
                    months = policy.months(),
                    "removed access events under the retention policy"
                );
            }
            for why in &run.waiting {
                tracing::info!(%why, "access events older than the retention policy keeps wait");
            }
            true
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot apply the retention policy");
            false
        }
    }
}
