//! `POST /staff/disputes/{reference}/note` (field `note`): an internal note the customer never sees.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{case_action, record, staff_text, Done};
use crate::domain::StaffPermission;
use crate::error::AppError;
use crate::http::AppState;

pub async fn note(
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
