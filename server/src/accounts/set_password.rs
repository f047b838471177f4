//! `POST /account/set-password` (form fields `token`, `password`, `password_confirm`): the
//! customer chooses a password with an invitation or reset link. The link is used up, every
//! other open link of the customer retired, and their sessions ended.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;

use super::password_rules;
use crate::auth::session;
use crate::db::{customer, password_link, session as session_table};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::{pages, see_other};

#[derive(Deserialize)]
pub struct SetPasswordForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

/// The page for a link that was used or has expired (or never was).
pub fn spent_link_page(request: &HttpRequest) -> HttpResponse {
    let texts = app::lang_of_request(request).account();
    pages::message_page(
        request,
        StatusCode::GONE,
        texts.link_spent_title,
        texts.link_spent_body,
        "/account/forgot-password",
    )
}

pub async fn set(
    request: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<SetPasswordForm>,
) -> Result<HttpResponse, AppError> {
    let SetPasswordForm {
        token,
        password,
        password_confirm,
    } = form.into_inner();
    if !state.settings.customer_sign_in.password || token.is_empty() || token.len() > 100 {
        return Ok(spent_link_page(&request));
    }
    let hash = session::token_hash(&token);
    let looked_up = hash.clone();
    let found = state
        .db
        .run(move |conn| {
            let now = Utc::now().naive_utc();
            let Some(link) = password_link::find_valid(conn, &looked_up, now)? else {
                return Ok(None);
            };
            Ok(customer::find(
                conn,
                crate::domain::CustomerId(link.customer_id),
            )?)
        })
        .await?;
    let Some(owner) = found else {
        return Ok(spent_link_page(&request));
    };
    let identifiers = [
        owner.email.as_deref().unwrap_or_default(),
        owner.customer_ref.as_str(),
    ];
    if let Err(problem) = password_rules::check(&password, &password_confirm, &identifiers) {
        let back = format!(
            "/account/set-password/{}?error={}",
            app::dto::percent_encode(&token),
            problem.code()
        );
        return Ok(see_other(&back));
    }
    let password_hash = state.passwords.hash(password).await?;
    let used = state
        .db
        .write(move |conn| {
            let now = Utc::now().naive_utc();
            // A second submission racing this one finds the link used.
            if !password_link::mark_used(conn, &hash, now)? {
                return Ok(false);
            }
            customer::set_password_hash(conn, owner.id(), &password_hash)?;
            password_link::retire_all(conn, owner.id(), now)?;
            let ended = session_table::delete_for_customer(conn, owner.id())?;
            tracing::info!(
                customer = owner.id,
                sessions_ended = ended,
                "customer set a password with a link"
            );
            Ok(true)
        })
        .await?;
    if !used {
        return Ok(spent_link_page(&request));
    }
    Ok(see_other("/login?notice=password_set"))
}
