//! `POST /login` (form fields `email`, `password`, optional `next`).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use app::i18n::Lang;

use super::{password, session, throttle::Throttle};
use crate::db::{customer, session as session_table};
use crate::domain::EmailAddress;
use crate::error::AppError;
use crate::http::{local_redirect_target, see_other, AppState};

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

enum Outcome {
    SignedIn { token: String },
    Invalid,
    Locked { wait: std::time::Duration },
}

#[tracing::instrument(skip_all)]
pub async fn login(
    request: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let LoginForm {
        email,
        password: typed_password,
        next,
    } = form.into_inner();
    let next = next.as_deref().and_then(local_redirect_target);
    let with_next = |query: String| match &next {
        Some(n) => format!("/login?{query}&next={}", app::dto::percent_encode(n)),
        None => format!("/login?{query}"),
    };
    if email.trim().is_empty() || typed_password.is_empty() {
        return Ok(see_other(&with_next("error=missing".into())));
    }
    let Ok(email) = EmailAddress::parse(&email) else {
        return Ok(see_other(&with_next("error=invalid".into())));
    };

    let client_address = request
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let previous_token = session::token_of(&request);
    let settings = state.settings.clone();
    let outcome = state
        .db
        .run(move |conn| {
            let now = chrono::Utc::now().naive_utc();
            let throttle = Throttle::new(&settings, &email, &client_address);
            if let Some(wait) = throttle.locked_for(conn, now)? {
                return Ok(Outcome::Locked { wait });
            }
            let account = customer::find_by_email(conn, &email)?;
            let matches = match &account {
                Some(found) => password::verify(&typed_password, &found.password_hash),
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
            // A new id at every sign-in: a session id planted before sign-in is worthless.
            if let Some(previous) = previous_token {
                session_table::delete(conn, &session::token_hash(&previous))?;
            }
            // Sign-ins are rare enough to carry the clean-up of sessions that idled out.
            session_table::delete_idle(
                conn,
                now - chrono::Duration::minutes(i64::from(settings.session_idle_minutes)),
            )?;
            let token = session::new_token();
            session_table::insert_for_customer(
                conn,
                &session::token_hash(&token),
                account.id(),
                now,
            )?;
            tracing::info!(email_domain = email.domain(), "customer signed in");
            Ok(Outcome::SignedIn { token })
        })
        .await?;

    Ok(match outcome {
        Outcome::SignedIn { token } => {
            let target = next.unwrap_or_else(|| "/timeline".to_owned());
            let mut response = see_other(&target);
            response
                .add_cookie(&session::session_cookie(&request, &state.settings, token))
                .map_err(|e| AppError::internal(e.to_string()))?;
            response
        }
        Outcome::Invalid => see_other(&with_next("error=invalid".into())),
        Outcome::Locked { wait } => too_many_attempts(&request, wait),
    })
}

#[derive(Template)]
#[template(path = "too_many_attempts.html")]
struct TooManyAttemptsPage<'a> {
    lang: &'a str,
    title: &'a str,
    app_name: &'a str,
    message: String,
    back_to_login: &'a str,
}

/// 429 with a page the person can read, in their language, and `Retry-After` for machines.
fn too_many_attempts(request: &HttpRequest, wait: std::time::Duration) -> HttpResponse {
    let lang: Lang = app::lang_of_request(request);
    let texts = lang.texts();
    let minutes = wait.as_secs().div_ceil(60).max(1);
    let page = TooManyAttemptsPage {
        lang: lang.code(),
        title: texts.too_many_attempts_title,
        app_name: texts.app_name,
        message: texts
            .login_rate_limited
            .replace("{minutes}", &minutes.to_string()),
        back_to_login: texts.back_to_login,
    };
    let body = page
        .render()
        .unwrap_or_else(|_| texts.too_many_attempts_title.to_owned());
    HttpResponse::TooManyRequests()
        .insert_header((header::RETRY_AFTER, wait.as_secs().max(1).to_string()))
        .content_type("text/html; charset=utf-8")
        .body(body)
}
