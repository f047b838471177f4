//! `POST /disputes/{reference}/withdraw`: the customer ends the case.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

use super::{refused, CustomerCase};
use crate::auth::CustomerSession;
use crate::db::dispute::{self, DisputeChange};
use crate::db::dispute_history::{self, NewHistoryEntry};
use crate::domain::DisputeStatus;
use crate::email::{self, Notice};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::see_other;

#[tracing::instrument(skip_all)]
pub async fn withdraw(
    request: HttpRequest,
    session: CustomerSession,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let reference = path.into_inner();
    let looked_up = reference.clone();
    let (case, mail) = state
        .db
        .write(move |conn| {
            let now = Utc::now().naive_utc();
            let case = CustomerCase::load(conn, &session, &looked_up)?;
            let CustomerCase::Found { customer, dispute } = &case else {
                return Ok((case, None));
            };
            dispute::update(
                conn,
                dispute.id(),
                &DisputeChange {
                    status: Some(DisputeStatus::Withdrawn),
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
            Ok((case, mail))
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
