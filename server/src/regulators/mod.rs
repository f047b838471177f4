//! Supervisory authorities' cases: a regulator opens a case about one subject (a customer) and
//! period, downloads that subject's report, and closes the case. A regulator reaches only the
//! cases of their own authority. Every action is recorded in `regulator_actions` and, as an
//! access event, in the subject's timeline — held back until the case closes when it is
//! confidential.

pub mod close;
pub mod open;
pub mod report;
pub mod view;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::session::new_token;
use crate::db::access_event::{self, NewAccessEvent};
use crate::db::customer::CustomerRow;
use crate::db::regulator_case::{self, RegulatorCaseRow};
use crate::db::schema::access_events;
use crate::db::staff_user::StaffUserRow;
use crate::db::AnyConnection;
use crate::domain::RegulatorCaseId;
use crate::error::{AppError, ErrorKind};
use crate::transparency::leaf::chain_hasher;
use crate::transparency::LogKeys;
use crate::web::routes::{Access, Routes};

pub fn routes(routes: &mut Routes) {
    routes.post("/staff/regulator/cases", Access::Staff, open::open);
    routes.post(
        "/staff/regulator/cases/{id}/close",
        Access::Staff,
        close::close,
    );
    routes.get(
        "/staff/regulator/cases/{id}/report",
        Access::Staff,
        report::download,
    );
}

/// The `source` of the access events regulators' looks leave in subjects' timelines.
pub const REGULATOR_SOURCE: &str = "/einblick/regulator";

/// Until a confidential case closes, its looks wait with this date (the timeline's embargo).
fn held_back_until() -> NaiveDateTime {
    const LAST_DAY: Option<chrono::NaiveDate> = chrono::NaiveDate::from_ymd_opt(9999, 12, 31);
    LAST_DAY.map_or(NaiveDateTime::MAX, |day| {
        day.and_time(chrono::NaiveTime::MIN)
    })
}

/// The regulator's authority; a regulator account without one reaches nothing.
pub fn authority_of(staff: &StaffUserRow) -> Result<String, AppError> {
    staff
        .authority
        .clone()
        .filter(|a| !a.trim().is_empty())
        .ok_or_else(|| AppError::new(ErrorKind::Forbidden))
}

/// The case with this id if it belongs to the regulator's authority; otherwise not found, so
/// another authority's case numbers reveal nothing.
pub fn own_case(
    conn: &mut AnyConnection,
    staff: &StaffUserRow,
    id: &str,
) -> Result<RegulatorCaseRow, AppError> {
    let authority = authority_of(staff)?;
    let id: RegulatorCaseId = id.parse().map_err(|_| AppError::new(ErrorKind::NotFound))?;
    regulator_case::find_for_authority(conn, id, &authority)?
        .ok_or_else(|| AppError::new(ErrorKind::NotFound))
}

/// What one regulator action leaves behind: a row in the case's log and an access event in the
/// subject's timeline (held back while a confidential case is open).
#[expect(
    clippy::too_many_arguments,
    reason = "each is one fact of the look; a struct would only rename them at every call"
)]
pub fn record(
    conn: &mut AnyConnection,
    keys: &LogKeys,
    staff: &StaffUserRow,
    case: &RegulatorCaseRow,
    subject: &CustomerRow,
    kind: &str,
    detail: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    regulator_case::record_action(conn, case.id, staff.id, kind, detail, now)?;
    let reason_text = match subject.lang.as_str() {
        "en" => format!(
            "Supervisory authority {} reviewed your access log, case {}",
            case.authority, case.reference
        ),
        _ => format!(
            "Die Aufsichtsbehörde {} hat Ihr Zugriffsprotokoll geprüft, Aktenzeichen {}",
            case.authority, case.reference
        ),
    };
    let action = if kind == "report_downloaded" {
        "export"
    } else {
        "view"
    };
    let held_back = case.confidential && case.closed_at.is_none();
    let mut look = NewAccessEvent {
        source: REGULATOR_SOURCE.to_owned(),
        event_id: format!("regulator-{}", new_token()),
        occurred_at: now,
        received_at: now,
        customer_ref: subject.customer_ref.clone(),
        employee_id: format!("einblick-staff-{}", staff.id),
        role_code: "regulator".to_owned(),
        team: Some(case.authority.clone()),
        office_country: None,
        data_category: "access_log".to_owned(),
        action: action.to_owned(),
        reason_code: "supervisory_review".to_owned(),
        reason_text: Some(reason_text),
        ticket_ref: Some(case.reference.clone()),
        system: Some("Einblick".to_owned()),
        content_sha256: String::new(),
        visible_from: held_back.then(held_back_until),
    };
    look.compute_content_hash();
    access_event::insert_new(conn, &[look], &chain_hasher(keys))?;
    Ok(())
}

/// Shows a closed confidential case's held-back looks in the subject's timeline from `now`.
pub fn release_held_back(
    conn: &mut AnyConnection,
    case: &RegulatorCaseRow,
    subject: &CustomerRow,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    use access_events::dsl as ae;
    Ok(diesel::update(
        ae::access_events
            .filter(ae::source.eq(REGULATOR_SOURCE))
            .filter(ae::customer_ref.eq(&subject.customer_ref))
            .filter(ae::team.eq(&case.authority))
            .filter(ae::ticket_ref.eq(&case.reference))
            .filter(ae::visible_from.eq(held_back_until())),
    )
    .set(ae::visible_from.eq(now))
    .execute(conn)?)
}
