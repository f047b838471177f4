//! `GET /login/oidc` and its callback `GET /login/oidc/callback`: customers sign in with the
//! retailer's customer identity provider. The claim named by
//! `EINBLICK_CUSTOMER_OIDC_CUSTOMER_CLAIM` carries the customer number; the customer is made on
//! first sign-in (just in time) and updated from the claims on every one.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;

use app::backend::Caller;

use super::oidc_flow::{self, Callback, Purpose};
use super::session::{self, SessionKind, SessionOwner};
use crate::db::customer;
use crate::db::session::SessionExtras;
use crate::domain::CustomerProfile;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::{local_redirect_target, pages, see_other};

#[derive(Deserialize)]
pub struct Begin {
    #[serde(default)]
    next: Option<String>,
}

fn not_offered(request: &HttpRequest) -> HttpResponse {
    let lang = app::lang_of_request(request);
    pages::message_page(
        request,
        StatusCode::NOT_FOUND,
        lang.account().provider_error_title,
        lang.account().way_not_offered,
        "/login",
    )
}

pub async fn begin(
    request: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<Begin>,
) -> Result<HttpResponse, AppError> {
    let (Some(provider), true) = (&state.customer_oidc, state.settings.customer_sign_in.oidc)
    else {
        return Ok(not_offered(&request));
    };
    let next = query
        .into_inner()
        .next
        .as_deref()
        .and_then(local_redirect_target);
    Ok(
        match oidc_flow::begin(&state, provider, Purpose::Customer, next).await? {
            Ok(redirect) => redirect,
            Err(error) => oidc_flow::unavailable_page(&request, Purpose::Customer, &error),
        },
    )
}

pub async fn callback(
    request: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<Callback>,
) -> Result<HttpResponse, AppError> {
    let (Some(provider), Some(settings)) = (&state.customer_oidc, &state.settings.customer_oidc)
    else {
        return Ok(not_offered(&request));
    };
    let (verified, next) =
        match oidc_flow::finish(&state, provider, Purpose::Customer, query.into_inner()).await? {
            Ok(done) => done,
            Err(failure) => {
                return Ok(oidc_flow::failure_page(
                    &request,
                    Purpose::Customer,
                    &failure,
                ))
            }
        };
    let lang = app::lang_of_request(&request);
    let refuse = |message: &str| {
        pages::message_page(
            &request,
            StatusCode::FORBIDDEN,
            lang.account().provider_error_title,
            message,
            "/login",
        )
    };
    let Some(number) = verified.text(&settings.customer_claim) else {
        tracing::warn!(claim = %settings.customer_claim, "customer ID token without the customer number claim");
        return Ok(refuse(lang.account().no_customer_number));
    };
    // Claims the provider gets wrong are left out rather than refusing the person.
    let profile = CustomerProfile::parse(&number, None, None, None, None, None).map(|bare| {
        let full = CustomerProfile::parse(
            &number,
            verified.text("email").as_deref(),
            verified.text("name").as_deref(),
            verified.text("locale").as_deref(),
            verified.text("zoneinfo").as_deref(),
            None,
        );
        full.unwrap_or(bare)
    });
    let Ok(profile) = profile else {
        tracing::warn!("customer ID token with an unusable customer number");
        return Ok(refuse(lang.account().no_customer_number));
    };
    let caller = Caller::of(&request);
    let previous = session::token_of(&caller, SessionKind::Customer);
    let limits = session::SessionLimits::of(&state.settings);
    let extras = SessionExtras {
        id_token: Some(verified.id_token.clone()),
        return_url: None,
    };
    let token = state
        .db
        .write(move |conn| {
            let now = Utc::now().naive_utc();
            let (found, provisioned) = customer::upsert_profile(conn, &profile, now, now)?;
            tracing::info!(provisioned = ?provisioned, "customer signed in through the identity provider");
            session::open(
                conn,
                SessionOwner::Customer(found.id()),
                &extras,
                previous.as_deref(),
                &limits,
                now,
            )
        })
        .await?;
    let mut response = see_other(next.as_deref().unwrap_or("/timeline"));
    response
        .add_cookie(&session::session_cookie(
            &caller,
            &state.settings,
            SessionKind::Customer,
            token,
        ))
        .map_err(|e| AppError::context("setting a cookie", e))?;
    Ok(response)
}
