//! `POST /staff/disputes/{reference}/extend` (fields `months`: 1 or 2, `reason`): extends the
//! deadline once (GDPR Art. 12(3)); the customer is told the new date and the reason.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{case_action, email_about, record, staff_text, Done};
use crate::auth::{may, StaffSession};
use crate::db::dispute::{self, DisputeChange};
use crate::email::Notice;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::Form;

pub async fn extend(
    request: HttpRequest,
    session: StaffSession<may::ExtendDeadlines>,
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
            let Some(months) = form
                .get("months")
                .and_then(|m| m.trim().parse::<u32>().ok())
            else {
                return Ok(Done::Refused("months"));
            };
            let reason = match staff_text(form, "reason") {
                Ok(text) => text,
                Err(code) => return Ok(Done::Refused(code)),
            };
            let extended = match case.dispute.deadline().extend(months) {
                Ok(deadline) => deadline,
                Err(_) if case.dispute.extended_due_on.is_some() => {
                    return Ok(Done::Refused("already_extended"))
                }
                Err(_) => return Ok(Done::Refused("months")),
            };
            let due = extended.due_on();
            dispute::update(
                conn,
                case.dispute.id(),
                &DisputeChange {
                    extended_due_on: Some(due),
                    extension_reason: Some(reason.as_str()),
                    ..Default::default()
                },
            )?;
            record(conn, case, "extended", Some(reason.as_str()), true)?;
            Ok(Done::Changed(
                email_about(case, Notice::Extended, due, Some(reason.as_str()))
                    .into_iter()
                    .collect(),
            ))
        },
    )
    .await
}
