//! The regulator's pages: the authority's cases (`/staff/regulator`) and one case
//! (`/staff/regulator/cases/{id}`; opening it is recorded like every other action).

use chrono::Utc;

use app::dto::regulator::{
    RegulatorActionEntry, RegulatorCaseSummary, RegulatorCaseView, RegulatorCases,
};

use super::{authority_of, own_case, record};
use app::dto::ids::RegulatorCaseId;

use crate::auth::{may, StaffSession};
use crate::db::{access_event, customer, regulator_case, staff_user};
use crate::domain::time::{local_date, local_date_time, FALLBACK_TIME_ZONE};
use crate::domain::{CustomerId, CustomerRef, ReportPeriod, StaffUserId};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::client::DeliberateLook;

pub async fn list(
    state: &AppState,
    session: StaffSession<may::WorkOnRegulatorCases>,
) -> Result<RegulatorCases, AppError> {
    let viewer = session.viewer();
    let staff = session.staff;
    state
        .db
        .run(move |conn| {
            let authority = authority_of(&staff)?;
            let cases = regulator_case::list_for_authority(conn, &authority)?
                .into_iter()
                .map(|(row, subject_ref)| RegulatorCaseSummary {
                    id: RegulatorCaseId(row.id),
                    reference: row.reference,
                    subject_ref,
                    period_from: row.period_from.to_string(),
                    period_to: row.period_to.to_string(),
                    opened_at: local_date_time(row.opened_at, FALLBACK_TIME_ZONE),
                    confidential: row.confidential,
                    closed: row.closed_at.is_some(),
                })
                .collect();
            let period =
                ReportPeriod::default_for(local_date(Utc::now().naive_utc(), FALLBACK_TIME_ZONE));
            Ok(RegulatorCases {
                viewer,
                authority,
                cases,
                default_from: period.from.to_string(),
                default_to: period.to.to_string(),
            })
        })
        .await
}

pub async fn case(
    state: &AppState,
    session: StaffSession<may::WorkOnRegulatorCases>,
    id: String,
    _look: DeliberateLook,
) -> Result<RegulatorCaseView, AppError> {
    let viewer = session.viewer();
    let staff = session.staff;
    let keys = state.log_keys.clone();
    state
        .db
        .write(move |conn| {
            let case = own_case(conn, &staff, &id)?;
            let subject = customer::find(conn, CustomerId(case.customer_id))?
                .ok_or_else(|| AppError::internal("case without subject"))?;
            let now = Utc::now().naive_utc();
            record(conn, &keys, &staff, &case, &subject, "viewed", None, now)?;

            let period = ReportPeriod {
                from: case.period_from,
                to: case.period_to,
            };
            let (start, end) = period.utc_bounds(subject.time_zone());
            let subject_ref = CustomerRef::parse(&subject.customer_ref).map_err(|e| {
                AppError::internal(format!("stored customer reference is invalid: {e}"))
            })?;
            let accesses = access_event::count_for_report(conn, &subject_ref, start, end, now)?;
            let opened_by = staff_user::find(conn, StaffUserId(case.opened_by))?
                .map(|s| s.display_name)
                .unwrap_or_default();
            let actions = regulator_case::actions(conn, case.id)?
                .into_iter()
                .map(|(row, who)| RegulatorActionEntry {
                    at: local_date_time(row.at, FALLBACK_TIME_ZONE),
                    who,
                    kind: row.kind,
                    detail: row.detail,
                })
                .collect();
            Ok(RegulatorCaseView {
                viewer,
                id: RegulatorCaseId(case.id),
                reference: case.reference,
                authority: case.authority,
                legal_basis: case.legal_basis,
                subject_ref: subject.customer_ref,
                subject_name: subject.display_name,
                period_from: case.period_from.to_string(),
                period_to: case.period_to.to_string(),
                confidential: case.confidential,
                opened_by,
                opened_at: local_date_time(case.opened_at, FALLBACK_TIME_ZONE),
                closed_at: case
                    .closed_at
                    .map(|at| local_date_time(at, FALLBACK_TIME_ZONE)),
                accesses_in_period: u64::try_from(accesses).unwrap_or(0),
                actions,
            })
        })
        .await
}
