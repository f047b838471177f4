//! `POST /staff/disputes/{reference}/assign` (field `assignee`: a staff user id, empty to
//! unassign). Privacy leads only; only active analysts and leads can be assigned.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{case_action, record, Done};
use crate::auth::{may, StaffSession};
use crate::db::dispute::{self, DisputeChange};
use crate::db::staff_user;
use crate::domain::{StaffRole, StaffUserId};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::Form;

pub async fn assign(
    request: HttpRequest,
    session: StaffSession<may::AssignDisputes>,
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
            let raw = form.get("assignee").unwrap_or_default().trim();
            let assignee = if raw.is_empty() {
                None
            } else {
                let Ok(id) = raw.parse::<i64>() else {
                    return Ok(Done::Refused("assignee"));
                };
                let Some(person) = staff_user::find(conn, StaffUserId(id))?.filter(|s| {
                    s.is_active
                        && matches!(s.role(), StaffRole::PrivacyAnalyst | StaffRole::PrivacyLead)
                }) else {
                    return Ok(Done::Refused("assignee"));
                };
                Some(person)
            };
            dispute::update(
                conn,
                case.dispute.id(),
                &DisputeChange {
                    assignee_id: Some(assignee.as_ref().map(|a| a.id)),
                    ..Default::default()
                },
            )?;
            let name = assignee.map(|a| a.display_name);
            record(conn, case, "assigned", name.as_deref(), false)?;
            Ok(Done::Changed(Vec::new()))
        },
    )
    .await
}
