//! The proof downloads: `GET /timeline/{entry}/proof`, the bundle of one of the signed-in
//! customer's own, visible timeline entries (anyone else's entry is "not found"), and
//! `GET /timeline/proof`, the bundle of their whole timeline.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

use crate::auth::CustomerSession;
use crate::db::access_event;
use crate::error::{AppError, ErrorKind};
use crate::state::AppState;
use crate::transparency::bundle::{how_to_verify, how_to_verify_timeline};
use crate::transparency::proof;

/// `GET /timeline/{entry}/proof`: the proof bundle of one of the signed-in customer's own,
/// visible timeline entries, as a download. Anyone else's entry is "not found".
pub async fn entry_proof(
    request: HttpRequest,
    session: CustomerSession,
    state: web::Data<AppState>,
    entry: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let entry_id: i64 = entry
        .parse()
        .map_err(|_| AppError::new(ErrorKind::NotFound))?;
    let keys = state.log_keys.clone();
    let customer = session.customer;
    let mut bundle = state
        .db
        .run(move |conn| {
            let now = Utc::now().naive_utc();
            let event = access_event::find_many(conn, &[entry_id])?
                .into_iter()
                .next()
                .filter(|event| event.customer_ref == customer.customer_ref)
                .filter(|event| event.visible_from.is_none_or(|from| from <= now))
                .ok_or_else(|| AppError::new(ErrorKind::NotFound))?;
            proof::inclusion_bundle(conn, &keys, &event, now)
        })
        .await?;
    bundle.how_to_verify = how_to_verify(
        app::lang_of_request(&request),
        &format!("{}/log/key", state.settings.public_url),
    );
    let body = serde_json::to_vec_pretty(&bundle)
        .map_err(|e| AppError::internal(format!("proof bundle: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"einblick-proof-{entry_id}.json\""),
        ))
        .body(body))
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
    let mut bundle = state
        .db
        .run(move |conn| proof::timeline_bundle(conn, &keys, &customer, Utc::now().naive_utc()))
        .await?;
    bundle.how_to_verify = how_to_verify_timeline(
        app::lang_of_request(&request),
        &format!("{}/log/key", state.settings.public_url),
    );
    let body = serde_json::to_vec_pretty(&bundle)
        .map_err(|e| AppError::internal(format!("timeline bundle: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"einblick-timeline-proof.json\"",
        ))
        .body(body))
}
