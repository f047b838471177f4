//! `POST /staff/disputes/{reference}/request-info` (field `message`): asks the customer a
//! question; the case waits for the customer until they reply.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{case_action, email_about, record, staff_text, Done};
use crate::db::dispute::{self, DisputeChange};
use crate::domain::{DisputeStatus, StaffPermission};
use crate::email::Notice;
use crate::error::AppError;
use crate::http::AppState;

pub async fn request_info(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    case_action(
        request,
        state,
        path.into_inner(),
        StaffPermission::WorkOnDisputes,
        body,
        |conn, case, form| {
            let question = match staff_text(form, "message") {
                Ok(text) => text,
                Err(code) => return Ok(Done::Refused(code)),
            };
            dispute::update(
                conn,
                case.dispute.id(),
                &DisputeChange {
                    status: Some(DisputeStatus::WaitingForCustomer.code()),
                    ..Default::default()
                },
            )?;
            record(conn, case, "info_requested", Some(question.as_str()), true)?;
            let due = case.dispute.deadline().due_on();
            Ok(Done::Changed(vec![email_about(
                case,
                Notice::InfoRequested,
                due,
                Some(question.as_str()),
            )]))
        },
    )
    .await
}
