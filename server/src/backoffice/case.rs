//! The case view: the disputed events with everything the feed said, the employee's other
//! accesses around them, the customer's other disputes and the history. Opening it is itself
//! an access to the customer's data, stored as an access event in the customer's timeline.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDateTime, Timelike, Utc};

use app::dto::backoffice::{CaseEvent, CasePermissions, CaseView, EmployeeContext};
use app::dto::Labelled;
use app::i18n::Lang;

use crate::auth::{may, StaffSession};
use crate::db::access_event::{self, AccessEventRow, NewAccessEvent};
use crate::db::customer;
use crate::db::staff_user::StaffUserRow;
use crate::db::{dispute, dispute_history, lookup, staff_user, AnyConnection};
use crate::display::Labeller;
use crate::disputes::{steps, summary};
use crate::domain::time::{local_date, local_date_time, FALLBACK_TIME_ZONE};
use crate::domain::{DisputeReference, StaffPermission, StaffRole};
use crate::error::{AppError, ErrorKind};
use crate::state::AppState;
use crate::transparency::leaf::chain_hasher;
use crate::transparency::LogKeys;
use crate::web::client::DeliberateLook;

/// The `source` of the access events Einblick writes about its own staff.
pub const BACK_OFFICE_SOURCE: &str = "/einblick/back-office";

/// How far around a disputed access the employee's other accesses are counted.
const CONTEXT_DAYS: i64 = 14;

pub async fn load(
    state: &AppState,
    session: StaffSession<may::ReviewDisputes>,
    lang: Lang,
    reference: String,
    _look: DeliberateLook,
) -> Result<CaseView, AppError> {
    let viewer = session.viewer();
    let (staff, role) = (session.staff, session.role);
    let keys = state.log_keys.clone();
    state
        .db
        .write(move |conn| {
            let not_found = || AppError::new(ErrorKind::NotFound);
            let reference = DisputeReference::parse(&reference).map_err(|_| not_found())?;
            let row =
                dispute::find_by_reference(conn, reference.as_str())?.ok_or_else(not_found)?;
            let customer = customer::find(conn, row.customer_id())?
                .ok_or_else(|| AppError::internal("dispute without customer"))?;
            let now = Utc::now().naive_utc();
            record_staff_look(
                conn,
                &keys,
                &staff,
                role,
                &customer.customer_ref,
                reference.as_str(),
                now,
            )?;

            let zone = FALLBACK_TIME_ZONE;
            let today = local_date(now, zone);
            let lookups = lookup::load_all(conn)?;
            let labels = Labeller::new(&lookups, lang);
            let vip_refs = customer::vip_refs(conn)?;
            let event_ids = dispute::event_ids(conn, row.id())?;
            let events = access_event::find_many(conn, &event_ids)?
                .into_iter()
                .map(|event| case_event(conn, event, &labels, &vip_refs))
                .collect::<Result<Vec<_>, AppError>>()?;
            let others = dispute::list_for_customer(conn, customer.id())?;
            let other_ids: Vec<i64> = others.iter().map(|d| d.id).collect();
            let counts = dispute::event_counts(conn, &other_ids)?;
            let other_disputes = others
                .iter()
                .filter(|d| d.id != row.id)
                .map(|d| summary(d, counts.get(&d.id).copied().unwrap_or(0), zone, today))
                .collect();
            let history = dispute_history::for_dispute(conn, row.id(), false)?;
            let people = staff_user::active_with_roles(
                conn,
                &[StaffRole::PrivacyAnalyst, StaffRole::PrivacyLead],
            )?;
            let names: HashMap<i64, String> = people
                .iter()
                .map(|p| (p.id, p.display_name.clone()))
                .collect();
            let open = !row.status().is_closed();
            let deadline = row.deadline();
            let extension_options = if open && deadline.extended.is_none() {
                [1, 2]
                    .into_iter()
                    .filter_map(|m| deadline.extend(m).ok().map(|d| (m, d.due_on())))
                    .collect()
            } else {
                Vec::new()
            };
            Ok(CaseView {
                viewer,
                summary: summary(&row, event_ids.len() as i64, zone, today),
                customer_ref: customer.customer_ref.clone(),
                customer_is_vip: customer.is_vip,
                statement: row.statement.clone(),
                events,
                other_disputes,
                steps: steps(history, zone, true),
                assignee: row.assignee_id.and_then(|id| names.get(&id).cloned()),
                assignees: people
                    .iter()
                    .map(|p| Labelled {
                        code: p.id.to_string(),
                        label: p.display_name.clone(),
                    })
                    .collect(),
                extension_reason: row.extension_reason.clone(),
                decision: row.decision_explanation.clone(),
                internal_note: row.internal_note.clone(),
                permissions: CasePermissions {
                    work: open && role.may(StaffPermission::WorkOnDisputes),
                    assign: open && role.may(StaffPermission::AssignDisputes),
                    decide: open && role.may(StaffPermission::DecideDisputes),
                    extend: open
                        && deadline.extended.is_none()
                        && role.may(StaffPermission::ExtendDeadlines),
                },
                extension_options,
            })
        })
        .await
}

/// Portal access is access too: the customer sees this look in their own timeline, with the
/// staff role, the legal obligation to answer as the reason and the case as the ticket.
pub(super) fn record_staff_look(
    conn: &mut AnyConnection,
    keys: &LogKeys,
    staff: &StaffUserRow,
    role: StaffRole,
    customer_ref: &str,
    reference: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let mut look = NewAccessEvent {
        source: BACK_OFFICE_SOURCE.to_owned(),
        event_id: format!("look-{}", crate::auth::session::new_token()),
        occurred_at: now,
        received_at: now,
        customer_ref: customer_ref.to_owned(),
        employee_id: format!("einblick-staff-{}", staff.id),
        role_code: role.code().to_owned(),
        team: None,
        office_country: None,
        data_category: "access_log".to_owned(),
        action: "view".to_owned(),
        reason_code: "legal_obligation".to_owned(),
        reason_text: None,
        ticket_ref: Some(reference.to_owned()),
        system: Some("Einblick".to_owned()),
        content_sha256: String::new(),
        visible_from: None,
    };
    look.compute_content_hash();
    access_event::insert_new(conn, &[look], &chain_hasher(keys))?;
    Ok(())
}

fn case_event(
    conn: &mut AnyConnection,
    event: AccessEventRow,
    labels: &Labeller,
    vip_refs: &HashSet<String>,
) -> Result<CaseEvent, AppError> {
    let window = access_event::employee_window(
        conn,
        &event.employee_id,
        event.occurred_at - Duration::days(CONTEXT_DAYS),
        event.occurred_at + Duration::days(CONTEXT_DAYS),
    )?;
    let customers: HashSet<&str> = window.iter().map(|(c, _)| c.as_str()).collect();
    let night_accesses = window
        .iter()
        .filter(|(_, at)| {
            let hour = chrono::TimeZone::from_utc_datetime(&FALLBACK_TIME_ZONE, at).hour();
            !(6..22).contains(&hour)
        })
        .count();
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(CaseEvent {
        id: event.id.to_string(),
        occurred_at: local_date_time(event.occurred_at, FALLBACK_TIME_ZONE),
        employee_id: event.employee_id.clone(),
        role: labels.role(&event.role_code).0,
        team: event.team.clone(),
        office_country: event.office_country.clone(),
        data_category: labels.category(&event.data_category),
        action: labels.action(&event.action).label,
        reason: labels.reason(&event.reason_code),
        reason_text: event.reason_text.clone(),
        ticket: event.ticket_ref.clone(),
        system: event.system.clone(),
        source: event.source.clone(),
        employee_context: EmployeeContext {
            accesses: count(window.len()),
            distinct_customers: count(customers.len()),
            vip_customers: count(customers.iter().filter(|c| vip_refs.contains(**c)).count()),
            night_accesses: count(night_accesses),
        },
    })
}
