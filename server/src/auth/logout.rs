//! `POST /logout` and `POST /staff/logout`: end the session on the server and in the browser.

use actix_web::{web, HttpRequest, HttpResponse};

use app::backend::Caller;

use super::session::{self, SessionKind};
use crate::db::session as session_table;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::see_other;

pub async fn customer_logout(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    end_session(&request, &state, SessionKind::Customer).await
}

pub async fn staff_logout(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    end_session(&request, &state, SessionKind::Staff).await
}

async fn end_session(
    request: &HttpRequest,
    state: &AppState,
    kind: SessionKind,
) -> Result<HttpResponse, AppError> {
    let caller = Caller::of(request);
    if let Some(token) = session::token_of(&caller, kind) {
        state
            .db
            .run(move |conn| Ok(session_table::delete(conn, &session::token_hash(&token))?))
            .await?;
    }
    let mut response = see_other(&format!("{}?notice=signed_out", kind.sign_in_path()));
    response
        .add_cookie(&session::expired_session_cookie(
            &caller,
            &state.settings,
            kind,
        ))
        .map_err(|e| AppError::internal(e.to_string()))?;
    Ok(response)
}
