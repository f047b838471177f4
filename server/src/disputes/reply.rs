//! `POST /disputes/{reference}/messages`: the customer adds information (field `message`).
//! A case waiting for the customer goes back into review.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

use super::{form_pairs, form_value, refused, CustomerCase};
use crate::auth::session;
use crate::db::dispute::{self, DisputeChange};
use crate::db::dispute_history::{self, NewHistoryEntry};
use crate::domain::dispute::PlainTextError;
use crate::domain::{DisputeStatus, PlainText};
use crate::error::AppError;
use crate::http::{see_other, AppState};

#[tracing::instrument(skip_all)]
pub async fn reply(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let reference = path.into_inner();
    let pairs = form_pairs(&body);
    let raw = form_value(&pairs, "message").unwrap_or_default().to_owned();
    let message = match PlainText::parse(&raw) {
        Ok(text) => text,
        Err(error) => {
            let code = match error {
                PlainTextError::Empty => "message_empty",
                PlainTextError::TooLong => "message_too_long",
            };
            return Ok(see_other(&format!(
                "/disputes/{}?error={code}&message={}#reply",
                app::dto::percent_encode(&reference),
                app::dto::percent_encode(&raw)
            )));
        }
    };
    let token = session::token_of(&request);
    let idle_minutes = state.settings.session_idle_minutes;
    let lang = app::lang_of_request(&request);
    let looked_up = reference.clone();
    let outcome = state
        .db
        .write(move |conn| {
            let now = Utc::now().naive_utc();
            let case = CustomerCase::load(conn, token.as_deref(), &looked_up, idle_minutes, now)?;
            let CustomerCase::Found { customer, dispute } = &case else {
                return Ok(case);
            };
            dispute_history::insert(
                conn,
                &NewHistoryEntry::new(
                    dispute.id(),
                    now,
                    None,
                    "message_from_customer",
                    Some(message.as_str()),
                    true,
                ),
            )?;
            let back_in_review = dispute.status() == DisputeStatus::WaitingForCustomer;
            dispute::update(
                conn,
                dispute.id(),
                &DisputeChange {
                    status: back_in_review.then_some(DisputeStatus::InReview.code()),
                    updated_at: Some(now),
                    ..Default::default()
                },
            )?;
            crate::db::customer::set_lang(conn, customer.id(), lang.code())?;
            Ok(case)
        })
        .await?;
    match outcome {
        CustomerCase::Found { dispute, .. } => Ok(see_other(&format!(
            "/disputes/{}?notice=sent",
            dispute.reference
        ))),
        refusal => Ok(refused(&request, &refusal, &reference)),
    }
}
