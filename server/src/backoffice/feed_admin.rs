//! The feed's admin page (`GET /staff/admin/feed`): ingest health per source, dead letters,
//! unknown codes and feed tokens; and one dead letter (`GET /staff/admin/dead-letters/{id}`).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{Duration, Utc};

use app::dto::admin::{
    DeadLetterDetail, DeadLetterSummary, EmailDay, FeedAdmin, FeedTokenSummary, SourceHealth,
    UnknownCode,
};

use app::dto::ids::{DeadLetterId, FeedTokenId};

use crate::auth::{may, StaffSession};
use crate::db::dead_letter::{self, DeadLetterRow};
use crate::db::{email_outbox, feed_token, ingest_stats, unknown_code};
use crate::domain::time::{local_date_time, FALLBACK_TIME_ZONE};
use crate::error::{AppError, ErrorKind};
use crate::state::AppState;

/// Dead letters listed on the page; older ones are counted.
const DEAD_LETTERS_SHOWN: i64 = 100;

pub fn berlin(at: chrono::NaiveDateTime) -> String {
    local_date_time(at, FALLBACK_TIME_ZONE)
}

fn summary(row: &DeadLetterRow) -> DeadLetterSummary {
    DeadLetterSummary {
        id: DeadLetterId(row.id),
        received_at: berlin(row.received_at),
        transport: row.transport.clone(),
        source: row.source.clone(),
        event_id: row.event_id.clone(),
        reason: row.reason.clone(),
        replayed: row.replayed_at.is_some(),
    }
}

pub async fn load(
    state: &AppState,
    session: StaffSession<may::ManageFeed>,
) -> Result<FeedAdmin, AppError> {
    let viewer = session.viewer();
    state
        .db
        .run(move |conn| {
            let now = Utc::now().naive_utc();
            let hour_ago = now - Duration::hours(1);
            let day_ago = now - Duration::hours(24);
            let sources = ingest_stats::health(conn, hour_ago, day_ago)?
                .into_iter()
                .map(|row| SourceHealth {
                    accepted_last_hour: u64::try_from(row.accepted_last_hour).unwrap_or(0),
                    per_minute: format!("{:.1}", row.accepted_last_hour as f64 / 60.0),
                    rejected_last_day: u64::try_from(row.rejected_last_day).unwrap_or(0),
                    last_received_at: berlin(row.last_received_at),
                    minutes_since_last: (now - row.last_received_at).num_minutes(),
                    source: row.source,
                })
                .collect();
            let dead_letters = dead_letter::newest(conn, DEAD_LETTERS_SHOWN)?
                .iter()
                .map(summary)
                .collect();
            let unknown_codes = unknown_code::still_unknown(conn)?
                .into_iter()
                .map(|row| UnknownCode {
                    kind: row.kind,
                    code: row.code,
                    events: u64::try_from(row.events).unwrap_or(0),
                    last_seen_at: berlin(row.last_seen_at),
                })
                .collect();
            let tokens = feed_token::list(conn)?
                .iter()
                .map(|t| FeedTokenSummary {
                    id: FeedTokenId(t.id),
                    label: t.label.clone(),
                    sources: t.sources().into_iter().map(str::to_owned).collect(),
                    created_at: berlin(t.created_at),
                    revoked: t.revoked_at.is_some(),
                })
                .collect();
            let service_tokens = crate::db::service_token::list(conn)?
                .iter()
                .map(|t| app::dto::admin::ServiceTokenSummary {
                    id: crate::domain::ServiceTokenId(t.id),
                    label: t.label.clone(),
                    created_at: berlin(t.created_at),
                    revoked: t.revoked_at.is_some(),
                })
                .collect();
            let since = (Utc::now() - chrono::Duration::days(13))
                .date_naive()
                .and_time(chrono::NaiveTime::MIN);
            let outbox = email_outbox::figures_since(conn, since)?;
            let email_days = outbox
                .days
                .into_iter()
                .rev()
                .map(|(day, figures)| EmailDay {
                    day: day.to_string(),
                    queued: figures.queued,
                    sent: figures.sent,
                    failed: figures.failed,
                })
                .collect();
            Ok(FeedAdmin {
                email_days,
                oldest_unsent: outbox.oldest_unsent.map(berlin),
                service_tokens,
                viewer,
                sources,
                dead_letters,
                open_dead_letters: u64::try_from(dead_letter::count_open(conn)?).unwrap_or(0),
                unknown_codes,
                tokens,
            })
        })
        .await
}

pub async fn load_dead_letter(
    state: &AppState,
    session: StaffSession<may::ManageFeed>,
    id: String,
) -> Result<DeadLetterDetail, AppError> {
    let viewer = session.viewer();
    state
        .db
        .run(move |conn| {
            let not_found = || AppError::new(ErrorKind::NotFound);
            let id: DeadLetterId = id.parse().map_err(|_| not_found())?;
            let row = dead_letter::find(conn, id)?.ok_or_else(not_found)?;
            let bytes = STANDARD
                .decode(&row.raw_base64)
                .map_err(|e| AppError::internal(format!("dead letter {id} is not base64: {e}")))?;
            Ok(DeadLetterDetail {
                viewer,
                summary: summary(&row),
                byte_len: bytes.len() as u64,
                raw_text: String::from_utf8(bytes).ok(),
                raw_base64: row.raw_base64,
                replay_error: row.replay_error,
            })
        })
        .await
}
