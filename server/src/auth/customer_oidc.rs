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
use crate::domain::customer_profile::{CustomerProfile, ProfileFields};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::{local_redirect_target, pages, see_other};

#[derive(Deserialize)]
pub struct Begin {
    #[serde(default)]
    next: Option<String>,
}

pub async fn begin(
    request: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<Begin>,
) -> Result<HttpResponse, AppError> {
    let (Some(provider), true) = (&state.customer_oidc, state.settings.customer_sign_in.oidc)
    else {
        return Ok(oidc_flow::not_offered(&request, Purpose::Customer));
    };
    let next = query
        .into_inner()
        .next
        .as_deref()
        .and_then(local_redirect_target);
    Ok(
        match oidc_flow::begin(
            &state,
            &Caller::of(&request),
            provider,
            Purpose::Customer,
            next,
        )
        .await?
        {
            Ok(redirect) => redirect,
            Err(error) => oidc_flow::unavailable_page(&request, Purpose::Customer, error),
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
        return Ok(oidc_flow::not_offered(&request, Purpose::Customer));
    };
    let (verified, next) = match oidc_flow::finish(
        &state,
        &Caller::of(&request),
        provider,
        Purpose::Customer,
        query.into_inner(),
    )
    .await?
    {
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
    // Claims the provider gets wrong are left out rather than refusing the person; an address
    // the provider does not vouch for is not taken (it would receive password links).
    let email_verified = verified.claims.get("email_verified") == Some(&serde_json::json!(true));
    let email = verified.text("email").filter(|_| email_verified);
    let (name, locale, zone) = (
        verified.text("name"),
        verified.text("locale"),
        verified.text("zoneinfo"),
    );
    let bare = ProfileFields {
        customer_ref: &number,
        ..ProfileFields::default()
    };
    let profile = CustomerProfile::parse(bare).map(|bare_profile| {
        CustomerProfile::parse(ProfileFields {
            email: email.as_deref(),
            name: name.as_deref(),
            locale: locale.as_deref(),
            time_zone: zone.as_deref(),
            ..bare
        })
        .unwrap_or(bare_profile)
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
    let subject = format!("{}|{}", verified.issuer, verified.subject);
    let token = state
        .db
        .write(move |conn| {
            let now = Utc::now().naive_utc();
            // One person at the provider is one customer here: a customer number claimed by
            // another subject (an attribute the person could edit, a reassigned number) is
            // refused, and so is a subject that now claims another number.
            let known = customer::find_by_ref(conn, profile.customer_ref.as_str())?;
            let by_subject = customer::find_by_oidc_subject(conn, &subject)?;
            let claimed_elsewhere = known
                .as_ref()
                .and_then(|c| c.oidc_subject.as_deref())
                .is_some_and(|bound| bound != subject);
            let moved = by_subject
                .as_ref()
                .is_some_and(|c| c.customer_ref != profile.customer_ref.as_str());
            if claimed_elsewhere || moved {
                tracing::warn!("customer sign-in refused: the customer number and the provider's subject do not belong together");
                return Ok(None);
            }
            let (found, provisioned) = customer::upsert_profile(conn, &profile, None, now)?;
            if found.oidc_subject.is_none() {
                customer::set_oidc_subject(conn, found.id(), &subject)?;
            }
            tracing::info!(provisioned = ?provisioned, "customer signed in through the identity provider");
            session::open(
                conn,
                SessionOwner::Customer(found.id()),
                &extras,
                previous.as_deref(),
                &limits,
                now,
            )
            .map(Some)
        })
        .await?;
    let Some(token) = token else {
        return Ok(refuse(lang.account().subject_mismatch));
    };
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
