//! Service tokens: the shop backend's credential for opening portal sessions. Created by an
//! operator (`einblick service-token create`), shown once, stored as a hash, listed and revoked
//! in the admin area like feed tokens.

use actix_web::http::header;
use actix_web::HttpRequest;
use chrono::NaiveDateTime;

use super::session;
use crate::db::service_token::{self, ServiceTokenRow};
use crate::db::AnyConnection;
use crate::domain::ServiceTokenId;
use crate::error::{AppError, ErrorKind};
use crate::state::AppState;

/// Service tokens start with this, so a leaked one is recognisable (secret scanners, logs).
const PREFIX: &str = "ebs_";

/// The longest label kept.
pub const MAX_LABEL_CHARS: usize = 100;

/// Creates a token; returns its id and the token, which is not stored anywhere.
pub fn create(
    conn: &mut AnyConnection,
    label: &str,
    now: NaiveDateTime,
) -> Result<(ServiceTokenId, String), AppError> {
    let token = format!("{PREFIX}{}", session::new_token());
    let id = service_token::insert(conn, &session::token_hash(&token), label, now)?;
    Ok((id, token))
}

/// A label as an operator types it: 1–100 characters, no control characters.
pub fn parse_label(raw: &str) -> Option<String> {
    let label = raw.trim();
    (!label.is_empty()
        && label.chars().count() <= MAX_LABEL_CHARS
        && !label.chars().any(char::is_control))
    .then(|| label.to_owned())
}

fn unauthorized(message: &str) -> AppError {
    AppError::new(ErrorKind::Unauthorized {
        message: message.to_owned(),
    })
}

/// The active service token the request's `Authorization: Bearer` header presents.
pub async fn authenticate(
    state: &AppState,
    request: &HttpRequest,
) -> Result<ServiceTokenRow, AppError> {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
        .ok_or_else(|| {
            unauthorized("Send a service token: Authorization: Bearer <token> (einblick service-token create)")
        })?;
    let hash = session::token_hash(&presented);
    state
        .db
        .run(move |conn| Ok(service_token::find_active(conn, &hash)?))
        .await?
        .ok_or_else(|| unauthorized("The service token is unknown or was revoked."))
}
