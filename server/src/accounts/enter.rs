//! `GET /portal/enter/{token}`: where a portal-session link from the shop leads. Used once,
//! within a minute: the customer is made (just in time) or updated from what the shop said,
//! signed in, and sent to the page the shop asked for. A used or expired link gets a page that
//! says so, and no session.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

use app::backend::Caller;

use crate::auth::session::{self, SessionKind, SessionOwner};
use crate::db::customer;
use crate::db::portal_link;
use crate::db::session::SessionExtras;
use crate::domain::customer_profile::{CustomerProfile, ProfileFields};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::language::language_cookie;
use crate::web::{pages, see_other};

fn spent(request: &HttpRequest) -> HttpResponse {
    let texts = app::lang_of_request(request).account();
    let mut page = pages::message_page(
        request,
        StatusCode::GONE,
        texts.portal_link_title,
        texts.portal_link_body,
        "/login",
    );
    page.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    page
}

pub async fn enter(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    if !state.settings.customer_sign_in.portal || token.is_empty() || token.len() > 100 {
        return Ok(spent(&request));
    }
    let caller = Caller::of(&request);
    let previous = session::token_of(&caller, SessionKind::Customer);
    let limits = session::SessionLimits::of(&state.settings);
    let hash = session::token_hash(&token);
    let entered = state
        .db
        .write(move |conn| {
            let now = Utc::now().naive_utc();
            let Some(link) = portal_link::redeem(conn, &hash, now)? else {
                return Ok(None);
            };
            let profile = CustomerProfile::parse(ProfileFields {
                customer_ref: &link.customer_ref,
                email: link.email.as_deref(),
                name: link.display_name.as_deref(),
                locale: link.lang.as_deref(),
                time_zone: link.time_zone.as_deref(),
                ..ProfileFields::default()
            })
            .map_err(|e| AppError::internal(format!("a stored portal link does not parse: {e}")))?;
            let (found, provisioned) =
                customer::upsert_profile(conn, &profile, None, now)?;
            let extras = SessionExtras {
                id_token: None,
                return_url: link.return_url.clone(),
            };
            let token = session::open(
                conn,
                SessionOwner::Customer(found.id()),
                &extras,
                previous.as_deref(),
                &limits,
                now,
            )?;
            tracing::info!(customer = found.id, provisioned = ?provisioned, "customer entered from the shop");
            Ok(Some((token, link.path, link.lang)))
        })
        .await?;
    let Some((token, path, lang)) = entered else {
        tracing::info!("a used, expired or unknown portal link was opened");
        return Ok(spent(&request));
    };
    let mut response = see_other(&path);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
        .add_cookie(&session::session_cookie(
            &caller,
            &state.settings,
            SessionKind::Customer,
            token,
        ))
        .map_err(|e| AppError::context("setting a cookie", e))?;
    // The shop knows the customer's language: the portal speaks it from the first page.
    if let Some(lang) = lang.as_deref().and_then(app::i18n::Lang::parse) {
        let cookie = language_cookie(&caller, &state.settings, lang);
        response
            .add_cookie(&cookie)
            .map_err(|e| AppError::context("setting a cookie", e))?;
    }
    Ok(response)
}
