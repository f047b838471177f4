//! The two halves of a sign-in at an identity provider, shared by staff single sign-on and
//! customer sign-in: `begin` remembers what the callback must match (state, nonce, PKCE
//! verifier) and sends the browser off; `finish` takes that back exactly once and has the
//! provider's answer checked (see `crate::oidc`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use chrono::{Duration, Utc};
use serde::Deserialize;

use app::backend::Caller;

use super::session;
use crate::db::oidc_login::{self, OidcLoginRow};
use crate::error::AppError;
use crate::oidc::{OidcError, OidcProvider, Verified};
use crate::state::AppState;
use crate::web::{pages, see_other};

/// How long a person may take at the provider.
const SIGN_IN_MINUTES: i64 = 10;

/// Holds the state of the sign-in this browser began: a callback is accepted only in the
/// browser that began it, so nobody can sign a victim into their own account by sending them
/// a callback link (login CSRF).
const STATE_COOKIE: &str = "einblick_oidc_state";

/// Which sign-in a state was begun for: one begun for customers cannot finish as staff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Staff,
    Customer,
}

impl Purpose {
    fn code(self) -> &'static str {
        match self {
            Self::Staff => "staff",
            Self::Customer => "customer",
        }
    }

    /// Where the provider sends the browser back to.
    pub fn callback_path(self) -> &'static str {
        match self {
            Self::Staff => "/staff/login/sso/callback",
            Self::Customer => "/login/oidc/callback",
        }
    }

    fn sign_in_path(self) -> &'static str {
        match self {
            Self::Staff => "/staff/login",
            Self::Customer => "/login",
        }
    }

    /// The scopes asked for beyond `openid`.
    fn scopes(self) -> &'static [&'static str] {
        match self {
            Self::Staff => &["email", "profile", "groups"],
            Self::Customer => &["email", "profile", "customer"],
        }
    }
}

/// What the provider's redirect back carries.
#[derive(Debug, Default, Deserialize)]
pub struct Callback {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
    /// Set when the person cancelled or the provider refused (`access_denied`, …).
    #[serde(default)]
    error: Option<String>,
}

/// Why a callback did not sign anyone in; each becomes a page saying so.
#[derive(Debug)]
pub enum Failure {
    /// No such sign-in waiting: replayed, expired, or begun elsewhere.
    UnknownState,
    /// The person cancelled at the provider, or it refused them.
    Refused(String),
    Provider(OidcError),
}

fn redirect_url(state: &AppState, purpose: Purpose) -> String {
    format!("{}{}", state.settings.public_url, purpose.callback_path())
}

/// Remembers the sign-in and sends the browser to the provider.
pub async fn begin(
    state: &AppState,
    caller: &Caller,
    provider: &OidcProvider,
    purpose: Purpose,
    next_path: Option<String>,
) -> Result<Result<HttpResponse, OidcError>, AppError> {
    let provider = provider.clone();
    let redirect = redirect_url(state, purpose);
    let begun =
        actix_web::rt::task::spawn_blocking(move || provider.begin(&redirect, purpose.scopes()))
            .await
            .map_err(|e| AppError::context("beginning a sign-in at the identity provider", e))?;
    let begun = match begun {
        Ok(begun) => begun,
        Err(error) => return Ok(Err(error)),
    };
    let mut cookie =
        session::named_cookie(caller, &state.settings, STATE_COOKIE, begun.state.clone());
    cookie.set_max_age(actix_web::cookie::time::Duration::minutes(SIGN_IN_MINUTES));
    let row = OidcLoginRow {
        state_hash: session::token_hash(&begun.state),
        purpose: purpose.code().to_owned(),
        nonce: begun.nonce,
        pkce_verifier: begun.pkce_verifier,
        next_path,
        created_at: Utc::now().naive_utc(),
    };
    state
        .db
        .write(move |conn| {
            // Sign-ins that were never finished are cleared as new ones begin.
            oidc_login::delete_before(conn, row.created_at - Duration::minutes(SIGN_IN_MINUTES))?;
            oidc_login::insert(conn, &row)?;
            Ok(())
        })
        .await?;
    let mut response = see_other(&begun.url);
    response
        .add_cookie(&cookie)
        .map_err(|e| AppError::context("setting a cookie", e))?;
    Ok(Ok(response))
}

/// Takes back the sign-in the callback's `state` names (once) and has the provider's answer
/// checked. Returns the verified identity and where the person wanted to go.
pub async fn finish(
    state: &AppState,
    caller: &Caller,
    provider: &OidcProvider,
    purpose: Purpose,
    callback: Callback,
) -> Result<Result<(Verified, Option<String>), Failure>, AppError> {
    let Some(presented_state) = callback.state.filter(|s| !s.is_empty()) else {
        return Ok(Err(Failure::UnknownState));
    };
    if session::cookie_value(caller, STATE_COOKIE).as_deref() != Some(presented_state.as_str()) {
        tracing::warn!(
            purpose = purpose.code(),
            "sign-in callback in a browser that did not begin it"
        );
        return Ok(Err(Failure::UnknownState));
    }
    let state_hash = session::token_hash(&presented_state);
    let waiting = state
        .db
        .write(move |conn| {
            let not_before = Utc::now().naive_utc() - Duration::minutes(SIGN_IN_MINUTES);
            Ok(oidc_login::take(
                conn,
                &state_hash,
                purpose.code(),
                not_before,
            )?)
        })
        .await?;
    // Checked before the provider's error, so a forged error cannot end someone else's sign-in
    // without its state.
    let Some(waiting) = waiting else {
        return Ok(Err(Failure::UnknownState));
    };
    if let Some(error) = callback.error {
        return Ok(Err(Failure::Refused(error)));
    }
    let Some(code) = callback.code.filter(|c| !c.is_empty()) else {
        return Ok(Err(Failure::Refused("no code".into())));
    };
    let provider = provider.clone();
    let redirect = redirect_url(state, purpose);
    let verified = actix_web::rt::task::spawn_blocking(move || {
        provider.finish(&redirect, &code, &waiting.pkce_verifier, &waiting.nonce)
    })
    .await
    .map_err(|e| AppError::context("finishing a sign-in at the identity provider", e))?;
    Ok(match verified {
        Ok(verified) => Ok((verified, waiting.next_path)),
        Err(error) => Err(Failure::Provider(error)),
    })
}

/// The page for a sign-in that did not happen. Logged with the reason; the page says what the
/// person can do, never the provider's internals.
pub fn failure_page(request: &HttpRequest, purpose: Purpose, failure: &Failure) -> HttpResponse {
    let lang = app::lang_of_request(request);
    let texts = lang.account();
    let (status, message) = match failure {
        Failure::UnknownState => {
            tracing::warn!(
                purpose = purpose.code(),
                "sign-in callback with an unknown or used state"
            );
            (StatusCode::BAD_REQUEST, texts.sign_in_expired)
        }
        Failure::Refused(reason) => {
            tracing::info!(purpose = purpose.code(), reason = %reason, "the identity provider did not sign the person in");
            (StatusCode::UNAUTHORIZED, texts.sign_in_expired)
        }
        Failure::Provider(error) => {
            tracing::warn!(purpose = purpose.code(), error = %error, "sign-in through the identity provider refused");
            let status = match error {
                OidcError::Unavailable(_) => StatusCode::BAD_GATEWAY,
                _ => StatusCode::UNAUTHORIZED,
            };
            (status, error.for_people(lang))
        }
    };
    pages::message_page(
        request,
        status,
        texts.provider_error_title,
        message,
        purpose.sign_in_path(),
    )
}

/// The provider could not be asked at all (discovery failed): said plainly, logged.
pub fn unavailable_page(request: &HttpRequest, purpose: Purpose, error: OidcError) -> HttpResponse {
    failure_page(request, purpose, &Failure::Provider(error))
}

/// The page for a way in that is not set up here.
pub fn not_offered(request: &HttpRequest, purpose: Purpose) -> HttpResponse {
    let lang = app::lang_of_request(request);
    pages::message_page(
        request,
        StatusCode::NOT_FOUND,
        lang.account().provider_error_title,
        lang.account().way_not_offered,
        purpose.sign_in_path(),
    )
}
