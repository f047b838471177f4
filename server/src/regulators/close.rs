//! `POST /staff/regulator/cases/{id}/close`: closes a case; a confidential case's looks then
//! appear in the subject's timeline.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{own_case, record, release_held_back};
use crate::auth::{may, StaffSession};
use crate::backoffice::{staff_post, Answer};
use crate::db::{customer, regulator_case};
use crate::domain::CustomerId;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::Form;

pub async fn close(
    request: HttpRequest,
    session: StaffSession<may::WorkOnRegulatorCases>,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let keys = state.log_keys.clone();
    staff_post(request, session, state, form, move |conn, staff, _, now| {
        let case = own_case(conn, staff, &id)?;
        if case.closed_at.is_some() {
            return Ok(Answer::Redirect(format!(
                "/staff/regulator/cases/{}",
                case.id
            )));
        }
        let subject = customer::find(conn, CustomerId(case.customer_id))?
            .ok_or_else(|| AppError::internal("case without subject"))?;
        regulator_case::close(conn, case.id, now)?;
        // The "closed" look of a confidential case is held back like the others and released
        // with them on the next line.
        record(conn, &keys, staff, &case, &subject, "closed", None, now)?;
        release_held_back(conn, &case, &subject, now)?;
        Ok(Answer::Redirect(format!(
            "/staff/regulator/cases/{}?notice=closed",
            case.id
        )))
    })
    .await
}
