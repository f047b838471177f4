//! `POST /account/forgot-password` (form field `email`): sends a set-password link to the
//! customer with that address. The answer is the same whether or not the address belongs to an
//! account, and comes before the lookup is done: neither its words nor its timing tell.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::Deserialize;

use super::password_links;
use crate::db::customer;
use crate::domain::EmailAddress;
use crate::email;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::see_other;

const PAGE: &str = "/account/forgot-password";

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

pub async fn request(
    state: web::Data<AppState>,
    form: web::Form<ForgotForm>,
) -> Result<HttpResponse, AppError> {
    if !state.settings.customer_sign_in.password {
        return Ok(see_other(&format!("{PAGE}?error=unavailable")));
    }
    // Only the address's form is judged here; that says nothing about any account.
    let Ok(address) = EmailAddress::parse(&form.email) else {
        return Ok(see_other(&format!("{PAGE}?error=invalid")));
    };
    let state = state.into_inner();
    actix_web::rt::spawn(async move {
        if let Err(error) = send_link(&state, address).await {
            tracing::error!(error = %error, "a set-password link could not be sent");
        }
    });
    Ok(see_other(&format!("{PAGE}?sent=1")))
}

async fn send_link(state: &AppState, address: EmailAddress) -> Result<(), AppError> {
    let public_url = state.settings.public_url.clone();
    let mail = state
        .db
        .write(move |conn| {
            let Some(found) = customer::find_by_email(conn, &address)? else {
                tracing::info!(
                    email_domain = address.domain(),
                    "password link asked for an address without an account"
                );
                return Ok(None);
            };
            password_links::issue(
                conn,
                &found,
                password_links::LinkPurpose::Reset,
                &public_url,
                Utc::now().naive_utc(),
            )
        })
        .await?;
    if let Some(mail) = mail {
        email::deliver_account(state.settings.clone(), mail).await;
    }
    Ok(())
}
