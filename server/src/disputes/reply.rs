//! `POST /disputes/{reference}/messages`: the customer adds information (field `message`).
//! A case waiting for the customer goes back into review.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

use super::{refused, CustomerCase};
use crate::auth::CustomerSession;
use crate::db::dispute::{self, DisputeChange};
use crate::db::dispute_history::{self, NewHistoryEntry};
use crate::domain::dispute::PlainTextError;
use crate::domain::{DisputeStatus, PlainText};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::Form;
use crate::web::see_other;

#[tracing::instrument(skip_all)]
pub async fn reply(
    request: HttpRequest,
    session: CustomerSession,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let reference = path.into_inner();
    let raw = form.get("message").unwrap_or_default().to_owned();
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
    let lang = app::lang_of_request(&request);
    let looked_up = reference.clone();
    let outcome = state
        .db
        .write(move |conn| {
            let now = Utc::now().naive_utc();
            let case = CustomerCase::load(conn, &session, &looked_up)?;
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
                    status: back_in_review.then_some(DisputeStatus::InReview),
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
