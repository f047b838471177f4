//! `POST /logout` and `POST /staff/logout`: end the session on the server and in the browser.
//! A session begun at an identity provider is also ended there when the provider offers it
//! (RP-initiated logout): the browser goes on to the provider's logout with the ID token.

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
    let mut id_token = None;
    if let Some(token) = session::token_of(&caller, kind) {
        id_token = state
            .db
            .write(move |conn| {
                let hash = session::token_hash(&token);
                let ended = session_table::find(conn, &hash)?;
                session_table::delete(conn, &hash)?;
                Ok(ended.and_then(|s| s.id_token))
            })
            .await?;
    }
    let signed_out = format!("{}?notice=signed_out", kind.sign_in_path());
    let provider = match kind {
        SessionKind::Staff => state.staff_sso.clone(),
        SessionKind::Customer => state.customer_oidc.clone(),
    };
    let at_provider = match (provider, id_token) {
        (Some(provider), Some(id_token)) => {
            let back = format!("{}{}", state.settings.public_url, kind.sign_in_path());
            actix_web::rt::task::spawn_blocking(move || provider.end_session_url(&id_token, &back))
                .await
                .ok()
                .flatten()
        }
        _ => None,
    };
    let mut response = see_other(at_provider.as_deref().unwrap_or(&signed_out));
    response
        .add_cookie(&session::expired_session_cookie(
            &caller,
            &state.settings,
            kind,
        ))
        .map_err(|e| AppError::internal(e.to_string()))?;
    Ok(response)
}
