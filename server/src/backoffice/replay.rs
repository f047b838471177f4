//! `POST /staff/admin/dead-letters/{id}/replay`: processes a dead letter's raw bytes again,
//! after a fix, under the source policy of the channel it came in on; a replay never adds dead
//! letters.

use actix_web::{web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::{staff_post, Answer};
use crate::auth::{may, StaffSession};
use crate::db::dead_letter;
use crate::domain::DeadLetterId;
use crate::error::{AppError, ErrorKind};
use crate::ingest::store::{self, RawEvent, SourcePolicy, Transport};
use crate::state::AppState;
use crate::web::forms::Form;

pub async fn replay(
    request: HttpRequest,
    session: StaffSession<may::ManageFeed>,
    state: web::Data<AppState>,
    path: web::Path<DeadLetterId>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let page = format!("/staff/admin/dead-letters/{id}");
    let metrics = state.metrics.clone();
    let reference = SourcePolicy::reference(&state.settings);
    let keys = state.log_keys.clone();
    let retention = state.settings.retention;
    let explainer = state.explainer.clone();
    staff_post(request, session, state, form, move |conn, admin, _, now| {
        let letter =
            dead_letter::find(conn, id)?.ok_or_else(|| AppError::new(ErrorKind::NotFound))?;
        let bytes = STANDARD
            .decode(&letter.raw_base64)
            .map_err(|e| AppError::internal(format!("dead letter {id} is not base64: {e}")))?;
        // Judged by the policy of the channel it first came in on: a replay cannot turn an
        // event a feed token or NATS subject was not allowed to send into a stored one.
        let policy = SourcePolicy::from_stored(letter.allowed_sources.as_deref());
        let report = store::store_batch(
            conn,
            &[RawEvent {
                position: 0,
                bytes: &bytes,
            }],
            Transport::Replay,
            &policy,
            &store::IngestRules {
                reference_sources: &reference,
                keys: &keys,
                retention,
            },
            now,
        )?;
        explainer.nudge();
        metrics.record_ingest(&report.counts(Transport::Replay));
        tracing::info!(
            admin = admin.id,
            dead_letter = id.0,
            accepted = report.accepted,
            "dead letter replayed"
        );
        if report.accepted + report.duplicates == 1 {
            dead_letter::mark_replayed(conn, id, now)?;
            let notice = if report.accepted == 1 {
                "stored"
            } else {
                "duplicate"
            };
            return Ok(Answer::Redirect(format!("{page}?notice={notice}")));
        }
        let reason = report
            .rejections
            .first()
            .map(|r| r.reason.clone())
            .unwrap_or_default();
        // The page shows the reason from the letter, never from its own URL.
        dead_letter::record_replay_error(conn, id, &reason)?;
        Ok(Answer::Redirect(format!("{page}?error=still_rejected")))
    })
    .await
}
