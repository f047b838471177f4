//! Keeps the monthly partitions of `access_events` ready (`db::partition`): when the server
//! starts and every hour, so next month's exists before its first event and months that turned
//! up in the default partition get their own; after a month that could not be created, again
//! in five minutes.

use std::time::Duration;

use crate::db::{partition, Database};

const EVERY: Duration = Duration::from_secs(3600);
const AFTER_A_FAILURE: Duration = Duration::from_secs(300);

pub async fn keep_partitions_ready(db: Database) {
    loop {
        let run = db
            .run(|conn| {
                Ok(partition::ensure_months(
                    conn,
                    chrono::Utc::now().naive_utc(),
                )?)
            })
            .await;
        let wait = match run {
            Ok(run) => {
                if !run.created.is_empty() {
                    tracing::info!(partitions = ?run.created, "created partitions of access_events");
                }
                for (name, problem) in &run.failed {
                    tracing::warn!(partition = %name, %problem, "cannot create a partition of access_events yet");
                }
                if run.failed.is_empty() {
                    EVERY
                } else {
                    AFTER_A_FAILURE
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot create the partitions of access_events");
                AFTER_A_FAILURE
            }
        };
        actix_web::rt::time::sleep(wait).await;
    }
}
