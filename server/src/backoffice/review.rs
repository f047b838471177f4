//! `POST /staff/disputes/{reference}/review`: an open case goes into review.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{case_action, email_about, record, Done};
use crate::auth::{may, StaffSession};
use crate::db::dispute::{self, DisputeChange};
use crate::domain::DisputeStatus;
use crate::email::Notice;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::Form;

pub async fn review(
    request: HttpRequest,
    session: StaffSession<may::WorkOnDisputes>,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    case_action(
        request,
        session,
        state,
        path.into_inner(),
        form,
        |conn, case, _| {
            if case.dispute.status() != DisputeStatus::Open {
                return Ok(Done::Refused("not_open"));
            }
            dispute::update(
                conn,
                case.dispute.id(),
                &DisputeChange {
                    status: Some(DisputeStatus::InReview),
                    ..Default::default()
                },
            )?;
            record(conn, case, "review_started", None, true)?;
            let due = case.dispute.deadline().due_on();
            Ok(Done::Changed(
                email_about(case, Notice::ReviewStarted, due, None)
                    .into_iter()
                    .collect(),
            ))
        },
    )
    .await
}
