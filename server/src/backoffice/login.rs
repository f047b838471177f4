//! `POST /staff/login` (fields `email`, `password`) and `POST /staff/logout`.
//! Same rules as the customer sign-in: Argon2id, throttling, a fresh session id, one answer for
//! wrong password and unknown account. Accounts without a password (SSO later) cannot sign in here.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::auth::{password, session, throttle::Throttle};
use crate::db::{session as session_table, staff_user};
use crate::domain::EmailAddress;
use crate::error::AppError;
use crate::http::{see_other, AppState};

#[derive(Deserialize)]
pub struct StaffLoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

enum Outcome {
    SignedIn(String, &'static str),
    Invalid,
    Locked(std::time::Duration),
}

#[tracing::instrument(skip_all)]
pub async fn login(
    request: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<StaffLoginForm>,
) -> Result<HttpResponse, AppError> {
    let StaffLoginForm {
        email,
        password: typed_password,
    } = form.into_inner();
    if email.trim().is_empty() || typed_password.is_empty() {
        return Ok(see_other("/staff/login?error=missing"));
    }
    let Ok(email) = EmailAddress::parse(&email) else {
        return Ok(see_other("/staff/login?error=invalid"));
    };
    let client_address = request
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let previous = session::staff_token_of(&request);
    let settings = state.settings.clone();
    let outcome = state
        .db
        .write(move |conn| {
            let now = chrono::Utc::now().naive_utc();
            let throttle = Throttle::new(&settings, &email, &client_address);
            if let Some(wait) = throttle.locked_for(conn, now)? {
                return Ok(Outcome::Locked(wait));
            }
            let account = staff_user::find_by_email(conn, &email)?
                .filter(|s| s.is_active == 1 && s.role().is_some());
            let matches = match account.as_ref().and_then(|a| a.password_hash.as_deref()) {
                Some(hash) => password::verify(&typed_password, hash),
                None => {
                    password::verify_against_dummy(&typed_password);
                    false
                }
            };
            let Some(account) = account.filter(|_| matches) else {
                throttle.record_failure(conn, now)?;
                return Ok(Outcome::Invalid);
            };
            throttle.record_success(conn)?;
            if let Some(previous) = previous {
                session_table::delete(conn, &session::token_hash(&previous))?;
            }
            let token = session::new_token();
            session_table::insert_for_staff(conn, &session::token_hash(&token), account.id(), now)?;
            tracing::info!(
                staff_user = account.id,
                role = account.staff_role.as_str(),
                "staff signed in"
            );
            let home = account.role().map(super::home_of).unwrap_or("/staff");
            Ok(Outcome::SignedIn(token, home))
        })
        .await?;
    match outcome {
        Outcome::SignedIn(token, home) => {
            let mut response = see_other(home);
            response
                .add_cookie(&session::staff_session_cookie(
                    &request,
                    &state.settings,
                    token,
                ))
                .map_err(|e| AppError::internal(e.to_string()))?;
            Ok(response)
        }
        Outcome::Invalid => Ok(see_other("/staff/login?error=invalid")),
        Outcome::Locked(wait) => Ok(see_other(&format!(
            "/staff/login?error=rate_limited&minutes={}",
            wait.as_secs().div_ceil(60).max(1)
        ))),
    }
}

pub async fn logout(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if let Some(token) = session::staff_token_of(&request) {
        state
            .db
            .run(move |conn| Ok(session_table::delete(conn, &session::token_hash(&token))?))
            .await?;
    }
    let mut response = see_other("/staff/login?notice=signed_out");
    response
        .add_cookie(&session::expired_staff_session_cookie(
            &request,
            &state.settings,
        ))
        .map_err(|e| AppError::internal(e.to_string()))?;
    Ok(response)
}
