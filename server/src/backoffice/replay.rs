//! `POST /staff/admin/dead-letters/{id}/replay`: processes a dead letter's raw bytes again,
//! after a fix. The source is trusted as in an import; a replay never adds dead letters.

use actix_web::{web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::{staff_post, Answer};
use crate::db::dead_letter;
use crate::domain::StaffPermission;
use crate::error::{AppError, ErrorKind};
use crate::http::AppState;
use crate::ingest::store::{self, RawEvent, SourcePolicy, Transport};

pub async fn replay(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let page = format!("/staff/admin/dead-letters/{id}");
    let metrics = state.metrics.clone();
    staff_post(
        request,
        state,
        StaffPermission::ManageFeed,
        body,
        move |conn, admin, _, now| {
            let letter =
                dead_letter::find(conn, id)?.ok_or_else(|| AppError::new(ErrorKind::NotFound))?;
            let bytes = STANDARD
                .decode(&letter.raw_base64)
                .map_err(|e| AppError::internal(format!("dead letter {id} is not base64: {e}")))?;
            let report = store::store_batch(
                conn,
                &[RawEvent {
                    position: 0,
                    bytes: &bytes,
                }],
                Transport::Replay,
                &SourcePolicy::Any,
                now,
            )?;
            metrics.record_ingest(Transport::Replay, &report);
            tracing::info!(
                admin = admin.id,
                dead_letter = id,
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
            Ok(Answer::Redirect(format!(
                "{page}?error=still_rejected&reason={}",
                app::dto::percent_encode(&reason)
            )))
        },
    )
    .await
}
