//! `POST /staff/disputes/{reference}/decide` (fields `outcome`: `upheld` or `rejected`,
//! `explanation` for the customer, optional `internal_note`). Privacy leads only.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{case_action, email_about, record, staff_text, Done};
use crate::auth::{may, StaffSession};
use crate::db::dispute::{self, DisputeChange};
use crate::domain::{DisputeStatus, PlainText};
use crate::email::Notice;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::Form;

pub async fn decide(
    request: HttpRequest,
    session: StaffSession<may::DecideDisputes>,
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
            let (status, notice) = match form.get("outcome").map(str::trim) {
                Some("upheld") => (DisputeStatus::Upheld, Notice::Upheld),
                Some("rejected") => (DisputeStatus::Rejected, Notice::Rejected),
                _ => return Ok(Done::Refused("outcome")),
            };
            let explanation = match staff_text(form, "explanation") {
                Ok(text) => text,
                Err(code) => return Ok(Done::Refused(code)),
            };
            let note = form
                .get("internal_note")
                .filter(|n| !n.trim().is_empty())
                .map(PlainText::parse)
                .transpose()
                .map_err(|_| ());
            let Ok(note) = note else {
                return Ok(Done::Refused("note_too_long"));
            };
            dispute::update(
                conn,
                case.dispute.id(),
                &DisputeChange {
                    status: Some(status),
                    decided_at: Some(case.now),
                    decision_explanation: Some(explanation.as_str()),
                    internal_note: note.as_ref().map(PlainText::as_str),
                    ..Default::default()
                },
            )?;
            record(conn, case, status.code(), Some(explanation.as_str()), true)?;
            if let Some(note) = &note {
                record(conn, case, "internal_note", Some(note.as_str()), false)?;
            }
            let due = case.dispute.deadline().due_on();
            Ok(Done::Changed(
                email_about(case, notice, due, Some(explanation.as_str()))
                    .into_iter()
                    .collect(),
            ))
        },
    )
    .await
}
