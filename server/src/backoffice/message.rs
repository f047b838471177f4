//! `POST /staff/disputes/{reference}/message` (field `message`): writes to the customer.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{case_action, email_about, record, staff_text, Done};
use crate::auth::{may, StaffSession};
use crate::email::Notice;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::Form;

pub async fn message(
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
            let text = match staff_text(form, "message") {
                Ok(text) => text,
                Err(code) => return Ok(Done::Refused(code)),
            };
            record(conn, case, "message_to_customer", Some(text.as_str()), true)?;
            let due = case.dispute.deadline().due_on();
            Ok(Done::Changed(
                email_about(case, Notice::Message, due, Some(text.as_str()))
                    .into_iter()
                    .collect(),
            ))
        },
    )
    .await
}
