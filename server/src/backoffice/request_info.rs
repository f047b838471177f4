//! `POST /staff/disputes/{reference}/request-info` (field `message`): asks the customer a
//! question; the case waits for the customer until they reply.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{case_action, email_about, record, staff_text, Done};
use crate::auth::{may, StaffSession};
use crate::db::dispute::{self, DisputeChange};
use crate::domain::DisputeStatus;
use crate::email::Notice;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::Form;

pub async fn request_info(
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
        |conn, case, form| {
            let question = match staff_text(form, "message") {
                Ok(text) => text,
                Err(code) => return Ok(Done::Refused(code)),
            };
            dispute::update(
                conn,
                case.dispute.id(),
                &DisputeChange {
                    status: Some(DisputeStatus::WaitingForCustomer),
                    ..Default::default()
                },
            )?;
            record(conn, case, "info_requested", Some(question.as_str()), true)?;
            let due = case.dispute.deadline().due_on();
            Ok(Done::Changed(
                email_about(case, Notice::InfoRequested, due, Some(question.as_str()))
                    .into_iter()
                    .collect(),
            ))
        },
    )
    .await
}
