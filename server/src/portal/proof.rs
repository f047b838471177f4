//! The proof downloads: `GET /timeline/{entry}/proof`, the bundle of one of the signed-in
//! customer's own, visible timeline entries (anyone else's entry is "not found", one removed
//! under the retention policy "gone"), and
//! `GET /timeline/{entry}/tlog-proof`, the same as a C2SP tlog-proof file, and
//! `GET /timeline/proof`, the bundle of their whole timeline.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

use crate::auth::CustomerSession;
use crate::db::{access_event, retention};
use crate::error::{AppError, ErrorKind};
use crate::state::AppState;
use crate::transparency::bundle::{how_to_verify, how_to_verify_timeline, ProofBundle};
use crate::transparency::witness::witnessed::ensure_witnessed;
use crate::transparency::{proof, tlog_proof};
use crate::web::pages::refusal_page;

/// Runs `work` on the blocking pool: it takes database connections as it needs them, and may
/// wait for witnesses in between without holding one.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    actix_web::rt::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::internal(format!("proof task failed: {e}")))?
}

/// `GET /timeline/{entry}/proof`: the proof bundle of one of the signed-in customer's own,
/// visible timeline entries, as a download. Anyone else's entry is "not found".
pub async fn entry_proof(
    request: HttpRequest,
    session: CustomerSession,
    state: web::Data<AppState>,
    entry: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (entry_id, mut bundle) = match entry_bundle(&state, session, &entry).await {
        Ok(found) => found,
        Err(refused) => return refusal_page(&request, refused, "/timeline"),
    };
    bundle.how_to_verify = how_to_verify(
        app::lang_of_request(&request),
        &format!("{}/log/key", state.settings.public_url),
    );
    let body = serde_json::to_vec_pretty(&bundle)
        .map_err(|e| AppError::internal(format!("proof bundle: {e}")))?;
    Ok(download(
        "application/json",
        &format!("einblick-proof-{entry_id}.json"),
        body,
    ))
}

/// `GET /timeline/{entry}/tlog-proof`: the same proof as a C2SP `tlog-proof@v1` file.
pub async fn entry_tlog_proof(
    request: HttpRequest,
    session: CustomerSession,
    state: web::Data<AppState>,
    entry: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (entry_id, bundle) = match entry_bundle(&state, session, &entry).await {
        Ok(found) => found,
        Err(refused) => return refusal_page(&request, refused, "/timeline"),
    };
    Ok(download(
        "text/plain; charset=utf-8",
        &format!("einblick-proof-{entry_id}.tlog-proof"),
        tlog_proof::from_bundle(&bundle).into_bytes(),
    ))
}

/// The proof bundle of the signed-in customer's visible entry `entry`, against a witnessed
/// checkpoint when a witness policy is configured.
async fn entry_bundle(
    state: &AppState,
    session: CustomerSession,
    entry: &str,
) -> Result<(i64, ProofBundle), AppError> {
    let entry_id: i64 = entry
        .parse()
        .map_err(|_| AppError::new(ErrorKind::NotFound))?;
    let keys = state.log_keys.clone();
    let customer = session.customer;
    let db = state.db.clone();
    let witnessing = state.witnessing.clone();
    let bundle = blocking(move || {
        let now = Utc::now().naive_utc();
        let mut conn = db.get()?;
        let found = access_event::find_many(&mut conn, &[entry_id])?
            .into_iter()
            .next();
        let event = match found {
            Some(event) => Some(event)
                .filter(|event| event.customer_ref == customer.customer_ref)
                .filter(|event| event.visible_from.is_none_or(|from| from <= now))
                .ok_or_else(|| AppError::new(ErrorKind::NotFound))?,
            // Says only that the number was removed, which ids, handed out in order, tell.
            None if retention::event_was_removed(&mut conn, entry_id)? => {
                return Err(AppError::new(ErrorKind::RemovedByRetention));
            }
            None => return Err(AppError::new(ErrorKind::NotFound)),
        };
        drop(conn);
        if let Some(witnessing) = &witnessing {
            ensure_witnessed(&db, &keys, witnessing, event.leaf_index)?;
        }
        let policy = witnessing.as_ref().map(|w| &w.policy);
        proof::inclusion_bundle(&mut *db.get()?, &keys, &event, now, policy)
    })
    .await?;
    Ok((entry_id, bundle))
}

fn download(content_type: &str, file_name: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        ))
        .body(body)
}

/// `GET /timeline/proof`: the signed-in customer's whole timeline as one bundle, to check
/// offline that no entry is missing (`einblick verify-timeline`).
pub async fn timeline_proof(
    request: HttpRequest,
    session: CustomerSession,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let keys = state.log_keys.clone();
    let customer = session.customer_ref()?;
    let db = state.db.clone();
    let witnessing = state.witnessing.clone();
    let mut bundle = blocking(move || {
        let newest = access_event::newest_leaf_of_customer(&mut *db.get()?, &customer)?;
        if let (Some(witnessing), Some(newest)) = (&witnessing, newest) {
            ensure_witnessed(&db, &keys, witnessing, newest)?;
        }
        let policy = witnessing.as_ref().map(|w| &w.policy);
        proof::timeline_bundle(
            &mut *db.get()?,
            &keys,
            &customer,
            Utc::now().naive_utc(),
            policy,
        )
    })
    .await?;
    bundle.how_to_verify = how_to_verify_timeline(
        app::lang_of_request(&request),
        &format!("{}/log/key", state.settings.public_url),
    );
    let body = serde_json::to_vec_pretty(&bundle)
        .map_err(|e| AppError::internal(format!("timeline bundle: {e}")))?;
    Ok(download(
        "application/json",
        "einblick-timeline-proof.json",
        body,
    ))
}
