//! `POST /disputes/{reference}/withdraw`: the customer ends the case.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

use super::{refused, CustomerCase};
use crate::auth::session;
use crate::db::dispute::{self, DisputeChange};
use crate::db::dispute_history::{self, NewHistoryEntry};
use crate::domain::DisputeStatus;
use crate::email::{self, Notice};
use crate::error::AppError;
use crate::http::{see_other, AppState};

#[tracing::instrument(skip_all)]
pub async fn withdraw(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let reference = path.into_inner();
    let token = session::token_of(&request);
    let idle_minutes = state.settings.session_idle_minutes;
    let looked_up = reference.clone();
    let (case, mail) = state
        .db
        .write(move |conn| {
            let now = Utc::now().naive_utc();
            let case = CustomerCase::load(conn, token.as_deref(), &looked_up, idle_minutes, now)?;
            let CustomerCase::Found { customer, dispute } = &case else {
                return Ok((case, None));
            };
            dispute::update(
                conn,
                dispute.id(),
                &DisputeChange {
                    status: Some(DisputeStatus::Withdrawn.code()),
                    updated_at: Some(now),
                    ..Default::default()
                },
            )?;
            dispute_history::insert(
                conn,
                &NewHistoryEntry::new(dispute.id(), now, None, "withdrawn", None, true),
            )?;
            let mail = super::email_to(
                customer,
                dispute,
                Notice::Withdrawn,
                dispute.deadline().due_on(),
                None,
            );
            Ok((case, Some(mail)))
        })
        .await?;
    match case {
        CustomerCase::Found { dispute, .. } => {
            email::deliver_all(state.settings.clone(), mail.into_iter().collect()).await;
            Ok(see_other(&format!(
                "/disputes/{}?notice=withdrawn",
                dispute.reference
            )))
        }
        refusal => Ok(refused(&request, &refusal, &reference)),
    }
}
