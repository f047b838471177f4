//! `POST /login` (form fields `email`, `password`, optional `next`) for customers and
//! `POST /staff/login` (`email`, `password`) for the back office. Same rules for both: Argon2id
//! off the request workers, throttling, a fresh session id, and one answer for a wrong password
//! and an unknown account.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use app::backend::Caller;

use super::session::{self, SessionKind};
use super::sign_in::{sign_in, Outcome, SignedIn};
use crate::domain::EmailAddress;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::{local_redirect_target, pages, see_other};

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

pub async fn customer_login(
    request: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let LoginForm {
        email,
        password,
        next,
    } = form.into_inner();
    let next = next.as_deref().and_then(local_redirect_target);
    if !state.settings.customer_sign_in.password {
        return Ok(see_other("/login?error=passwords_off"));
    }
    let back = |query: &str| match &next {
        Some(n) => see_other(&format!(
            "/login?{query}&next={}",
            app::dto::percent_encode(n)
        )),
        None => see_other(&format!("/login?{query}")),
    };
    if email.trim().is_empty() || password.is_empty() {
        return Ok(back("error=missing"));
    }
    let Ok(email) = EmailAddress::parse(&email) else {
        return Ok(back("error=invalid"));
    };
    let caller = Caller::of(&request);
    match sign_in(&state, &caller, SessionKind::Customer, email, password).await? {
        Outcome::SignedIn {
            token,
            device_token,
            ..
        } => {
            let target = next.unwrap_or_else(|| "/timeline".to_owned());
            with_session(
                see_other(&target),
                &caller,
                &state,
                SessionKind::Customer,
                token,
                device_token,
            )
        }
        Outcome::Invalid => Ok(back("error=invalid")),
        Outcome::Locked(wait) => Ok(pages::too_many_attempts(&request, wait, "/login")),
    }
}

pub async fn staff_login(
    request: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let LoginForm {
        email, password, ..
    } = form.into_inner();
    if !state.settings.staff_passwords {
        return Ok(see_other("/staff/login?error=passwords_off"));
    }
    if email.trim().is_empty() || password.is_empty() {
        return Ok(see_other("/staff/login?error=missing"));
    }
    let Ok(email) = EmailAddress::parse(&email) else {
        return Ok(see_other("/staff/login?error=invalid"));
    };
    let caller = Caller::of(&request);
    match sign_in(&state, &caller, SessionKind::Staff, email, password).await? {
        Outcome::SignedIn {
            token,
            who: SignedIn::Staff(_, role),
            device_token,
        } => with_session(
            see_other(role.home_path()),
            &caller,
            &state,
            SessionKind::Staff,
            token,
            device_token,
        ),
        Outcome::SignedIn { .. } => Err(AppError::internal("a staff sign-in found a customer")),
        Outcome::Invalid => Ok(see_other("/staff/login?error=invalid")),
        Outcome::Locked(wait) => Ok(pages::too_many_attempts(&request, wait, "/staff/login")),
    }
}

fn with_session(
    mut response: HttpResponse,
    caller: &Caller,
    state: &AppState,
    kind: SessionKind,
    token: String,
    device_token: Option<String>,
) -> Result<HttpResponse, AppError> {
    let mut cookies = vec![session::session_cookie(
        caller,
        &state.settings,
        kind,
        token,
    )];
    cookies
        .extend(device_token.map(|device| session::device_cookie(caller, &state.settings, device)));
    for cookie in cookies {
        response
            .add_cookie(&cookie)
            .map_err(|e| AppError::context("setting a cookie", e))?;
    }
    Ok(response)
}
