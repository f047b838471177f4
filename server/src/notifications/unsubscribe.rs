//! Unsubscribing without signing in, from the signed link every notification email carries:
//! `GET /unsubscribe?token=…` (the link in the email, one click, as the customer was promised),
//! `POST /unsubscribe?token=…` (RFC 8058 one-click from the mail client, body
//! `List-Unsubscribe=One-Click`), and `POST /unsubscribe/undo` (the page's undo button, whose
//! own short-lived token restores exactly the previous choice). A changed or expired token is
//! refused with a page that says so.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;

use app::i18n::Lang;

use super::preferences::{store, Choice};
use super::token::{TokenRefusal, UndoToken, UnsubscribeToken, UNDO_MINUTES};
use crate::db::{customer, notification};
use crate::domain::notification::NotificationMode;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::Form;
use crate::web::Query;

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage<'a> {
    lang: &'a str,
    app_name: &'a str,
    title: &'a str,
    message: &'a str,
    refused: bool,
    undo: Option<Undo>,
    undo_label: &'a str,
    settings_label: &'a str,
}

/// The undo button's signed token.
struct Undo {
    token: String,
}

/// What happened, for the page.
enum Outcome {
    Unsubscribed(Lang, Option<Undo>),
    Restored(Lang),
    Refused(TokenRefusal),
}

fn page(request: &HttpRequest, outcome: Outcome) -> HttpResponse {
    let (lang, status, refused) = match &outcome {
        Outcome::Unsubscribed(lang, _) | Outcome::Restored(lang) => (*lang, StatusCode::OK, false),
        Outcome::Refused(TokenRefusal::Expired) => {
            (app::lang_of_request(request), StatusCode::GONE, true)
        }
        Outcome::Refused(TokenRefusal::Invalid) => {
            (app::lang_of_request(request), StatusCode::BAD_REQUEST, true)
        }
    };
    let texts = lang.notifications();
    let (title, message) = match &outcome {
        Outcome::Unsubscribed(..) => (texts.unsubscribe_title, texts.unsubscribe_done),
        Outcome::Restored(_) => (texts.title, texts.undo_done),
        Outcome::Refused(TokenRefusal::Expired) => (texts.link_invalid_title, texts.link_expired),
        Outcome::Refused(TokenRefusal::Invalid) => (texts.link_invalid_title, texts.link_invalid),
    };
    let undo = match outcome {
        Outcome::Unsubscribed(_, undo) => undo,
        _ => None,
    };
    let body = UnsubscribePage {
        lang: lang.code(),
        app_name: lang.texts().app_name,
        title,
        message,
        refused,
        undo,
        undo_label: texts.unsubscribe_undo,
        settings_label: texts.unsubscribe_settings,
    }
    .render()
    .unwrap_or_else(|_| message.to_owned());
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(body)
}

/// Turns every notification off for the token's customer.
async fn unsubscribe(state: &AppState, raw_token: String) -> Result<Outcome, AppError> {
    let keys = state.log_keys.clone();
    state
        .db
        .write(move |conn| {
            let now = Utc::now().naive_utc();
            let token = match UnsubscribeToken::parse(&raw_token, &keys, now) {
                Ok(token) => token,
                Err(refusal) => return Ok(Outcome::Refused(refusal)),
            };
            let Some(row) = customer::find(conn, token.customer)? else {
                return Ok(Outcome::Refused(TokenRefusal::Invalid));
            };
            let before = notification::preferences_of(conn, token.customer)?;
            let off = Choice {
                mode: NotificationMode::Off,
                always: Vec::new(),
                quiet_weeks: false,
            };
            store(conn, token.customer, &off)?;
            tracing::info!("a customer unsubscribed from notifications by link");
            let already_off = before.mode == NotificationMode::Off && before.always.is_empty();
            let undo = (!already_off).then(|| Undo {
                token: UndoToken {
                    customer: token.customer,
                    mode: before.mode,
                    always: before.always,
                    quiet_weeks: before.quiet_weeks,
                    expires_at: now + chrono::Duration::minutes(UNDO_MINUTES),
                }
                .encode(&keys),
            });
            Ok(Outcome::Unsubscribed(
                Lang::parse(&row.lang).unwrap_or(Lang::De),
                undo,
            ))
        })
        .await
}

/// `GET /unsubscribe?token=…`: the link in the email; one click and it is done.
pub async fn by_link(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let token = Query::of(&request)
        .get("token")
        .unwrap_or_default()
        .to_owned();
    Ok(page(&request, unsubscribe(&state, token).await?))
}

/// `POST /unsubscribe?token=…`: RFC 8058 one-click from the mail client.
pub async fn one_click(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    by_link(request, state).await
}

/// `POST /unsubscribe/undo`: the choice before unsubscribing again (field `token`, the undo
/// token the page carries).
pub async fn undo(
    request: HttpRequest,
    state: web::Data<AppState>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let keys = state.log_keys.clone();
    let outcome = state
        .db
        .write(move |conn| {
            let now = Utc::now().naive_utc();
            let raw = form.get("token").unwrap_or_default();
            let undo = match UndoToken::parse(raw, &keys, now) {
                Ok(undo) => undo,
                Err(refusal) => return Ok(Outcome::Refused(refusal)),
            };
            let Some(row) = customer::find(conn, undo.customer)? else {
                return Ok(Outcome::Refused(TokenRefusal::Invalid));
            };
            let choice = Choice {
                mode: undo.mode,
                always: undo.always,
                quiet_weeks: undo.quiet_weeks,
            };
            store(conn, undo.customer, &choice)?;
            Ok(Outcome::Restored(
                Lang::parse(&row.lang).unwrap_or(Lang::De),
            ))
        })
        .await?;
    Ok(page(&request, outcome))
}
