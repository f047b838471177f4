//! `POST /staff/disputes/{reference}/note` (field `note`): an internal note the customer never sees.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{case_action, record, staff_text, Done};
use crate::auth::{may, StaffSession};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::Form;

pub async fn note(
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
            let text = match staff_text(form, "note") {
                Ok(text) => text,
                Err(code) => return Ok(Done::Refused(code)),
            };
            record(conn, case, "internal_note", Some(text.as_str()), false)?;
            Ok(Done::Changed(Vec::new()))
        },
    )
    .await
}
