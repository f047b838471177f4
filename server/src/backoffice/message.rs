//! `POST /staff/disputes/{reference}/message` (field `message`): writes to the customer.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{case_action, email_about, record, staff_text, Done};
use crate::domain::StaffPermission;
use crate::email::Notice;
use crate::error::AppError;
use crate::http::AppState;

pub async fn message(
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
            let text = match staff_text(form, "message") {
                Ok(text) => text,
                Err(code) => return Ok(Done::Refused(code)),
            };
            record(conn, case, "message_to_customer", Some(text.as_str()), true)?;
            let due = case.dispute.deadline().due_on();
            Ok(Done::Changed(vec![email_about(
                case,
                Notice::Message,
                due,
                Some(text.as_str()),
            )]))
        },
    )
    .await
}
