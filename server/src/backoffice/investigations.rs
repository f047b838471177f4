//! Investigations of flagged accesses: the queue (`/staff/investigations`), one case
//! (`/staff/investigations/{reference}`), notes (`POST …/note`, field `note`) and the decision
//! (`POST …/decide`, fields `outcome` = `appropriate`|`violation`, `reason`, `notify` = `1`).
//! Analysts investigate, the privacy lead decides; opening a case is logged in each affected
//! customer's timeline like any staff look.

use std::collections::{BTreeMap, HashMap, HashSet};

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Duration, NaiveDateTime, Timelike, Utc};

use app::dto::investigations::{
    EmployeePattern, InvestigationAccess, InvestigationQueue, InvestigationStep,
    InvestigationSummary, InvestigationView, RuleFinding,
};
use app::i18n::Lang;

use super::case::record_staff_look;
use crate::auth::{may, StaffSession};
use crate::db::explanation::{self, ExplanationRow};
use crate::db::investigation::{self, InvestigationRow};
use crate::db::{access_event, context, customer, employee, lookup, staff_user, AnyConnection};
use crate::display::Labeller;
use crate::domain::explanation::Rule;
use crate::domain::time::{local, local_date_time, FALLBACK_TIME_ZONE};
use crate::domain::{PlainText, StaffPermission};
use crate::email::{self, account::AccountEmail, account::AccountNotice};
use crate::error::{AppError, ErrorKind};
use crate::state::AppState;
use crate::web::client::DeliberateLook;
use crate::web::forms::Form;
use crate::web::{pages::refusal_page, see_other};

fn berlin(at: NaiveDateTime) -> String {
    local_date_time(at, FALLBACK_TIME_ZONE)
}

fn summary(row: &InvestigationRow, customers: usize) -> InvestigationSummary {
    InvestigationSummary {
        reference: row.reference.clone(),
        employee_id: row.employee_id.clone(),
        status: row.status.clone(),
        flagged: u32::try_from(row.flagged_count).unwrap_or(0),
        customers: u32::try_from(customers).unwrap_or(u32::MAX),
        score: row.score,
        opened_at: berlin(row.opened_at),
    }
}

/// The accesses of a case and their customers.
fn case_accesses(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<(Vec<ExplanationRow>, Vec<access_event::AccessEventRow>), AppError> {
    let explanations = explanation::in_investigation(conn, id)?;
    let ids: Vec<i64> = explanations.iter().map(|e| e.access_event_id).collect();
    let mut events = access_event::find_many(conn, &ids)?;
    events.sort_by_key(|e| (e.occurred_at, e.id));
    Ok((explanations, events))
}

pub async fn load_queue(
    state: &AppState,
    session: StaffSession<may::Investigate>,
    all: bool,
) -> Result<InvestigationQueue, AppError> {
    let viewer = session.viewer();
    state
        .db
        .run(move |conn| {
            let rows = investigation::list(conn, (!all).then_some("open"))?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let customers = explanation::customers_per_investigation(conn, &ids)?;
            let cases = rows
                .iter()
                .map(|row| summary(row, customers.get(&row.id).copied().unwrap_or(0)))
                .collect();
            Ok(InvestigationQueue { viewer, cases, all })
        })
        .await
}

pub async fn load_case(
    state: &AppState,
    session: StaffSession<may::Investigate>,
    lang: Lang,
    reference: String,
    _look: DeliberateLook,
) -> Result<InvestigationView, AppError> {
    let viewer = session.viewer();
    let (staff, role) = (session.staff, session.role);
    let keys = state.log_keys.clone();
    state
        .db
        .write(move |conn| {
            let row = investigation::find_by_reference(conn, reference.trim())?
                .ok_or_else(|| AppError::new(ErrorKind::NotFound))?;
            let now = Utc::now().naive_utc();
            let (explanations, events) = case_accesses(conn, row.id)?;
            // Each customer whose accesses the case shows sees this look in their timeline.
            let customers: Vec<String> = events
                .iter()
                .map(|e| e.customer_ref.clone())
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            for customer_ref in &customers {
                record_staff_look(conn, &keys, &staff, role, customer_ref, &row.reference, now)?;
            }
            let lookups = lookup::load_all(conn)?;
            let labels = Labeller::new(&lookups, lang);
            let vip = customer::vip_refs(conn)?;
            let by_event: HashMap<i64, &ExplanationRow> = explanations
                .iter()
                .map(|e| (e.access_event_id, e))
                .collect();
            let record_ids: Vec<i64> = explanations.iter().filter_map(|e| e.context_id).collect();
            let records: HashMap<i64, context::ContextRecordRow> =
                context::find_many(conn, &record_ids)?
                    .into_iter()
                    .map(|r| (r.id, r))
                    .collect();
            let kind_labels: HashMap<String, String> = context::kinds(conn)?
                .into_iter()
                .map(|k| {
                    let label = match lang {
                        Lang::De => k.label_de,
                        Lang::En => k.label_en,
                    };
                    (k.code, label)
                })
                .collect();
            let accesses = events
                .iter()
                .map(|event| {
                    let judged = by_event.get(&event.id);
                    InvestigationAccess {
                        id: event.id.to_string(),
                        occurred_at: berlin(event.occurred_at),
                        customer_ref: event.customer_ref.clone(),
                        high_profile: vip.contains(&event.customer_ref),
                        role: labels.role(&event.role_code).0.label,
                        data_category: labels.category(&event.data_category).label,
                        action: labels.action(&event.action).label,
                        reason: labels.reason(&event.reason_code),
                        reason_text: event.reason_text.clone(),
                        ticket: event.ticket_ref.clone(),
                        findings: judged
                            .map(|j| {
                                j.rule_codes()
                                    .filter_map(Rule::parse)
                                    .map(|rule| RuleFinding {
                                        code: rule.code().to_owned(),
                                        text: rule.describe(lang).to_owned(),
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                        record: judged
                            .and_then(|j| j.context_id)
                            .and_then(|id| records.get(&id))
                            .map(|r| {
                                let kind = kind_labels.get(&r.kind).unwrap_or(&r.kind);
                                format!("{kind} {}", r.reference)
                            }),
                    }
                })
                .collect();
            let pattern = pattern(conn, &row.employee_id, now)?;
            let names: HashMap<i64, String> = staff_user::list(conn)?
                .into_iter()
                .map(|s| (s.id, s.display_name))
                .collect();
            let history = investigation::history(conn, row.id)?
                .into_iter()
                .map(|step| InvestigationStep {
                    at: berlin(step.at),
                    kind: step.kind,
                    who: step.staff_user_id.and_then(|id| names.get(&id).cloned()),
                    body: step.body,
                })
                .collect();
            let open = row.status == "open";
            Ok(InvestigationView {
                viewer,
                summary: summary(&row, customers.len()),
                pattern,
                accesses,
                history,
                outcome_reason: row.outcome_reason.clone(),
                can_work: open && role.may(StaffPermission::Investigate),
                can_decide: open && role.may(StaffPermission::DecideInvestigations),
            })
        })
        .await
}

/// The employee's usual way of working over their last 30 days of accesses.
fn pattern(
    conn: &mut AnyConnection,
    employee_id: &str,
    now: NaiveDateTime,
) -> Result<EmployeePattern, AppError> {
    let directory = employee::find(conn, employee_id)?;
    // The 30 days up to the employee's latest access (an index range, however long their
    // history).
    let latest = access_event::latest_of_employee(conn, employee_id, now)?;
    let latest = latest.unwrap_or(now);
    let window = access_event::employee_window(
        conn,
        employee_id,
        latest - Duration::days(30),
        latest + Duration::seconds(1),
    )?;
    let recent: Vec<&(String, NaiveDateTime)> = window.iter().collect();
    let mut per_day: BTreeMap<chrono::NaiveDate, HashSet<&str>> = BTreeMap::new();
    let mut hours: BTreeMap<u32, usize> = BTreeMap::new();
    for (customer, at) in &recent {
        let local_at = local(*at, FALLBACK_TIME_ZONE);
        per_day
            .entry(local_at.date_naive())
            .or_default()
            .insert(customer.as_str());
        *hours.entry(local_at.hour()).or_default() += 1;
    }
    let mut counts: Vec<usize> = per_day.values().map(HashSet::len).collect();
    counts.sort_unstable();
    let median = counts.get(counts.len() / 2).copied().unwrap_or(0);
    let mut busiest: Vec<(u32, usize)> = hours.into_iter().collect();
    busiest.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut usual: Vec<u32> = busiest.iter().take(3).map(|(h, _)| *h).collect();
    usual.sort_unstable();
    Ok(EmployeePattern {
        in_directory: directory.is_some(),
        team: directory.as_ref().and_then(|d| d.team.clone()),
        shift: directory
            .as_ref()
            .and_then(|d| match (d.shift_start, d.shift_end) {
                (Some(start), Some(end)) => Some(format!("{start:02}-{end:02}")),
                _ => None,
            }),
        customers_per_day: median.to_string(),
        usual_hours: usual
            .iter()
            .map(|h| format!("{h:02}"))
            .collect::<Vec<_>>()
            .join(", "),
    })
}

fn case_url(reference: &str) -> String {
    format!(
        "/staff/investigations/{}",
        app::dto::percent_encode(reference)
    )
}

pub async fn note(
    request: HttpRequest,
    session: StaffSession<may::Investigate>,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let reference = path.into_inner();
    let url = case_url(&reference);
    let staff = session.staff;
    let note = PlainText::parse(form.get("note").unwrap_or_default());
    let outcome = state
        .db
        .write(move |conn| {
            let row = investigation::find_by_reference(conn, &reference)?
                .ok_or_else(|| AppError::new(ErrorKind::NotFound))?;
            if row.status != "open" {
                return Ok(Some("decided"));
            }
            let Ok(note) = note else {
                return Ok(Some("note"));
            };
            investigation::add_history(
                conn,
                row.id,
                Some(staff.id),
                "note",
                Some(note.as_str()),
                Utc::now().naive_utc(),
            )?;
            Ok(None)
        })
        .await;
    answer(&request, outcome, &url)
}

pub async fn decide(
    request: HttpRequest,
    session: StaffSession<may::DecideInvestigations>,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let reference = path.into_inner();
    let url = case_url(&reference);
    let staff = session.staff;
    let outcome = form.get("outcome").unwrap_or_default().to_owned();
    let reason = PlainText::parse(form.get("reason").unwrap_or_default());
    let notify = form.get("notify") == Some("1");
    let public_url = state.settings.public_url.clone();
    let decided = state
        .db
        .write(move |conn| {
            let row = investigation::find_by_reference(conn, &reference)?
                .ok_or_else(|| AppError::new(ErrorKind::NotFound))?;
            let now = Utc::now().naive_utc();
            if row.status != "open" {
                return Ok(Err("decided"));
            }
            let state = match outcome.as_str() {
                "appropriate" | "violation" => outcome.clone(),
                _ => return Ok(Err("outcome")),
            };
            let Ok(reason) = reason else {
                return Ok(Err("reason"));
            };
            if investigation::decide(conn, row.id, &state, reason.as_str(), staff.id, now)? == 0 {
                return Ok(Err("decided"));
            }
            explanation::decide_investigation(conn, row.id, &state, now)?;
            investigation::add_history(
                conn,
                row.id,
                Some(staff.id),
                "decided",
                Some(&format!("{state}: {}", reason.as_str())),
                now,
            )?;
            tracing::info!(staff_user = staff.id, investigation = row.id, outcome = %state, "investigation decided");
            let mut notices = Vec::new();
            if state == "violation" && notify {
                let (_, events) = case_accesses(conn, row.id)?;
                let affected: HashSet<String> =
                    events.into_iter().map(|e| e.customer_ref).collect();
                for customer_ref in affected {
                    let Some(found) = customer::find_by_ref(conn, &customer_ref)? else {
                        continue;
                    };
                    let Some(to) = found.email.clone() else {
                        continue;
                    };
                    notices.push(AccountEmail {
                        notice: AccountNotice::AccessViolation,
                        lang: Lang::parse(&found.lang).unwrap_or_default(),
                        to,
                        customer_name: found.display_name.clone(),
                        link: format!("{public_url}/timeline?explanation=violation"),
                        valid_hours: 0,
                    });
                }
                investigation::add_history(
                    conn,
                    row.id,
                    Some(staff.id),
                    "notified",
                    Some(&notices.len().to_string()),
                    now,
                )?;
            }
            Ok(Ok(notices))
        })
        .await;
    match decided {
        Ok(Ok(notices)) => {
            for notice in notices {
                email::deliver_account(state.settings.clone(), notice).await;
            }
            Ok(see_other(&format!("{url}?notice=saved")))
        }
        Ok(Err(code)) => Ok(see_other(&format!("{url}?error={code}"))),
        Err(error) if error.kind == ErrorKind::NotFound => {
            refusal_page(&request, error, "/staff/investigations")
        }
        Err(error) => refusal_page(&request, error, &url),
    }
}

fn answer(
    request: &HttpRequest,
    outcome: Result<Option<&'static str>, AppError>,
    url: &str,
) -> Result<HttpResponse, AppError> {
    match outcome {
        Ok(None) => Ok(see_other(&format!("{url}?notice=saved"))),
        Ok(Some(code)) => Ok(see_other(&format!("{url}?error={code}"))),
        Err(error) if error.kind == ErrorKind::NotFound => {
            refusal_page(request, error, "/staff/investigations")
        }
        Err(error) => refusal_page(request, error, url),
    }
}
