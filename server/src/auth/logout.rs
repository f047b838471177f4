//! `POST /logout`: ends the session on the server and in the browser.

use actix_web::{web, HttpRequest, HttpResponse};

use super::session;
use crate::db::session as session_table;
use crate::error::AppError;
use crate::http::{see_other, AppState};

pub async fn logout(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if let Some(token) = session::token_of(&request) {
        state
            .db
            .run(move |conn| Ok(session_table::delete(conn, &session::token_hash(&token))?))
            .await?;
    }
    let mut response = see_other("/login?notice=signed_out");
    response
        .add_cookie(&session::expired_session_cookie(&request, &state.settings))
        .map_err(|e| AppError::internal(e.to_string()))?;
    Ok(response)
}
