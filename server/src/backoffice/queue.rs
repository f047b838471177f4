//! The dispute queue, by due date, with filters (status, assignee, overdue).

use std::collections::HashMap;

use chrono::Utc;

use app::dto::backoffice::{QueueItem, QueuePage, QueueQuery};
use app::dto::Labelled;

use crate::auth::{may, StaffSession};
use crate::db::dispute::{self, QueueFilter};
use crate::db::staff_user;
use crate::disputes::summary;
use crate::domain::time::{local_date, FALLBACK_TIME_ZONE};
use crate::domain::{DisputeStatus, StaffRole, StaffUserId};
use crate::error::AppError;
use crate::state::AppState;

/// More than this on one screen is a backlog report, not a queue.
const QUEUE_LIMIT: i64 = 500;

pub async fn load(
    state: &AppState,
    session: StaffSession<may::ReviewDisputes>,
    query: QueueQuery,
) -> Result<QueuePage, AppError> {
    let viewer = session.viewer();
    let staff = session.staff;
    state
        .db
        .run(move |conn| {
            // The privacy team works in Berlin time; deadlines are calendar days there.
            let today = local_date(Utc::now().naive_utc(), FALLBACK_TIME_ZONE);
            let statuses = match query.status.as_deref() {
                None | Some("active") => dispute::OPEN_STATUSES.to_vec(),
                Some("all") => Vec::new(),
                Some(code) => {
                    vec![DisputeStatus::parse(code).map_err(|_| AppError::invalid("status"))?]
                }
            };
            let assignee = match query.assignee.as_deref() {
                None => None,
                Some("me") => Some(Some(staff.id())),
                Some("none") => Some(None),
                Some(id) => Some(Some(StaffUserId(
                    id.parse().map_err(|_| AppError::invalid("assignee"))?,
                ))),
            };
            let overdue_on = query
                .overdue
                .as_deref()
                .filter(|v| *v == "1")
                .map(|_| today);
            let filter = QueueFilter {
                statuses,
                assignee,
                overdue_on,
            };
            let rows = dispute::queue(conn, &filter, QUEUE_LIMIT)?;
            let overdue_count = dispute::count_overdue(conn, today)?;
            let ids: Vec<i64> = rows.iter().map(|(d, _, _)| d.id).collect();
            let counts = dispute::event_counts(conn, &ids)?;
            let people = staff_user::active_with_roles(
                conn,
                &[StaffRole::PrivacyAnalyst, StaffRole::PrivacyLead],
            )?;
            let names: HashMap<i64, String> = people
                .iter()
                .map(|p| (p.id, p.display_name.clone()))
                .collect();
            Ok(QueuePage {
                viewer,
                items: rows
                    .iter()
                    .map(|(row, customer_ref, is_vip)| QueueItem {
                        summary: summary(
                            row,
                            counts.get(&row.id).copied().unwrap_or(0),
                            FALLBACK_TIME_ZONE,
                            today,
                        ),
                        customer_ref: customer_ref.clone(),
                        customer_is_vip: *is_vip,
                        assignee: row.assignee_id.and_then(|id| names.get(&id).cloned()),
                    })
                    .collect(),
                assignees: people
                    .iter()
                    .map(|p| Labelled {
                        code: p.id.to_string(),
                        label: p.display_name.clone(),
                    })
                    .collect(),
                overdue_count: u32::try_from(overdue_count).unwrap_or(u32::MAX),
            })
        })
        .await
}
