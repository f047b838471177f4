//! `POST /staff/disputes/{reference}/review`: an open case goes into review.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{case_action, email_about, record, Done};
use crate::db::dispute::{self, DisputeChange};
use crate::domain::{DisputeStatus, StaffPermission};
use crate::email::Notice;
use crate::error::AppError;
use crate::http::AppState;

pub async fn review(
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
        |conn, case, _| {
            if case.dispute.status() != DisputeStatus::Open {
                return Ok(Done::Refused("not_open"));
            }
            dispute::update(
                conn,
                case.dispute.id(),
                &DisputeChange {
                    status: Some(DisputeStatus::InReview.code()),
                    ..Default::default()
                },
            )?;
            record(conn, case, "review_started", None, true)?;
            let due = case.dispute.deadline().due_on();
            Ok(Done::Changed(vec![email_about(
                case,
                Notice::ReviewStarted,
                due,
                None,
            )]))
        },
    )
    .await
}
