//! What the customer's dispute pages show: the form, the list, one case.

use chrono::Utc;

use app::dto::disputes::{DisputeDetail, DisputeDraft, MyDisputes};
use app::i18n::Lang;

use super::{steps, summary};
use crate::auth::CustomerSession;
use crate::db::{access_event, dispute, dispute_history, lookup};
use crate::display::{timeline_entry, Labeller};
use crate::domain::time::local_date;
use crate::domain::{Deadline, DisputeReference};
use crate::error::{AppError, ErrorKind};
use crate::state::AppState;

/// The entries a new dispute would be about; ids that are not the customer's are left out.
pub async fn draft(
    state: &AppState,
    session: CustomerSession,
    lang: Lang,
    event_ids: Vec<String>,
) -> Result<DisputeDraft, AppError> {
    let viewer = session.viewer();
    let customer = session.customer;
    state
        .db
        .run(move |conn| {
            let now = Utc::now().naive_utc();
            let ids: Vec<i64> = event_ids
                .iter()
                .filter_map(|id| id.trim().parse().ok())
                .take(super::file::MAX_EVENTS_PER_DISPUTE)
                .collect();
            let zone = customer.time_zone();
            let lookups = lookup::load_all(conn)?;
            let labels = Labeller::new(&lookups, lang);
            let entries = access_event::find_many(conn, &ids)?
                .iter()
                .filter(|e| {
                    e.customer_ref == customer.customer_ref
                        && e.visible_from.is_none_or(|v| v <= now)
                })
                .map(|row| timeline_entry(&row.into(), &labels, zone))
                .collect();
            Ok(DisputeDraft {
                viewer,
                entries,
                due_if_filed_today: Deadline::for_receipt(local_date(now, zone)).due_on(),
            })
        })
        .await
}

pub async fn list(state: &AppState, session: CustomerSession) -> Result<MyDisputes, AppError> {
    let viewer = session.viewer();
    let customer = session.customer;
    state
        .db
        .run(move |conn| {
            let zone = customer.time_zone();
            let today = local_date(Utc::now().naive_utc(), zone);
            let rows = dispute::list_for_customer(conn, customer.id())?;
            let counts =
                dispute::event_counts(conn, &rows.iter().map(|r| r.id).collect::<Vec<_>>())?;
            Ok(MyDisputes {
                viewer,
                disputes: rows
                    .iter()
                    .map(|r| summary(r, counts.get(&r.id).copied().unwrap_or(0), zone, today))
                    .collect(),
            })
        })
        .await
}

pub async fn detail(
    state: &AppState,
    session: CustomerSession,
    lang: Lang,
    reference: String,
) -> Result<DisputeDetail, AppError> {
    let viewer = session.viewer();
    let customer = session.customer;
    state
        .db
        .run(move |conn| {
            let not_found = || AppError::new(ErrorKind::NotFound);
            let reference = DisputeReference::parse(&reference).map_err(|_| not_found())?;
            let row = dispute::find_by_reference(conn, reference.as_str())?
                .filter(|d| d.customer_id == customer.id)
                .ok_or_else(not_found)?;
            let zone = customer.time_zone();
            let today = local_date(Utc::now().naive_utc(), zone);
            let event_ids = dispute::event_ids(conn, row.id())?;
            let lookups = lookup::load_all(conn)?;
            let labels = Labeller::new(&lookups, lang);
            let entries: Vec<_> = access_event::find_many(conn, &event_ids)?
                .iter()
                .map(|r| timeline_entry(&r.into(), &labels, zone))
                .collect();
            let history = dispute_history::for_dispute(conn, row.id(), true)?;
            let open = !row.status().is_closed();
            Ok(DisputeDetail {
                viewer: viewer.clone(),
                summary: summary(&row, entries.len() as i64, zone, today),
                statement: row.statement.clone(),
                entries,
                extension_reason: row.extension_reason.clone(),
                decision: row.decision_explanation.clone(),
                steps: steps(history, zone, false),
                can_reply: open,
                can_withdraw: open,
            })
        })
        .await
}
