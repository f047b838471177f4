//! `POST /staff/regulator/cases`: a regulator opens a case with `reference`, `legal_basis`,
//! `customer_ref`, `from`, `to` and optionally `confidential=1`. A refusal goes back to the
//! form with the reason and everything typed.

use actix_web::{web, HttpRequest, HttpResponse};

use app::dto::percent_encode;

use super::{authority_of, record};
use crate::auth::{may, StaffSession};
use crate::backoffice::{staff_post, Answer};
use crate::db::customer;
use crate::db::regulator_case::{self, NewRegulatorCase};
use crate::domain::time::{local_date, FALLBACK_TIME_ZONE};
use crate::domain::{CustomerRef, RegulatorCaseId, ReportPeriod};
use crate::error::{AppError, ErrorKind};
use crate::state::AppState;
use crate::web::forms::Form;

const FORM: &str = "/staff/regulator";
const MAX_REFERENCE_CHARS: usize = 64;
const MAX_LEGAL_BASIS_CHARS: usize = 500;

pub async fn open(
    request: HttpRequest,
    session: StaffSession<may::WorkOnRegulatorCases>,
    state: web::Data<AppState>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let keys = state.log_keys.clone();
    staff_post(
        request,
        session,
        state,
        form,
        move |conn, staff, form, now| {
            let authority = authority_of(staff)?;
            let field = |name: &str| form.trimmed(name);
            let (reference, legal_basis, customer_ref) = (
                field("reference"),
                field("legal_basis"),
                field("customer_ref"),
            );
            let (from, to) = (field("from"), field("to"));
            let back = |error: &str| {
                let typed = [
                    ("reference", &reference),
                    ("legal_basis", &legal_basis),
                    ("customer_ref", &customer_ref),
                    ("from", &from),
                    ("to", &to),
                ]
                .iter()
                .map(|(k, v)| format!("&{k}={}", percent_encode(v)))
                .collect::<String>();
                Ok(Answer::Redirect(format!(
                    "{FORM}?error={error}{typed}#open-case"
                )))
            };
            let plain = |text: &str, max: usize| {
                !text.is_empty()
                    && text.chars().count() <= max
                    && !text.chars().any(char::is_control)
            };
            if !plain(&reference, MAX_REFERENCE_CHARS) {
                return back("reference");
            }
            if !plain(&legal_basis, MAX_LEGAL_BASIS_CHARS) {
                return back("legal_basis");
            }
            let subject = match CustomerRef::parse(&customer_ref) {
                Ok(valid) => customer::find_by_ref(conn, valid.as_str())?,
                Err(_) => None,
            };
            let Some(subject) = subject else {
                return back("customer_ref");
            };
            let today = local_date(now, FALLBACK_TIME_ZONE);
            let period = match ReportPeriod::parse(Some(&from), Some(&to), today) {
                Ok(period) => period,
                Err(AppError {
                    kind: ErrorKind::InvalidInput { field },
                    ..
                }) => return back(field),
                Err(other) => return Err(other),
            };
            if regulator_case::exists(conn, &authority, &reference)? {
                return back("reference_taken");
            }
            let confidential = form.get("confidential") == Some("1");
            let id = regulator_case::insert(
                conn,
                &NewRegulatorCase {
                    authority: &authority,
                    reference: &reference,
                    legal_basis: &legal_basis,
                    customer_id: subject.id,
                    period_from: period.from,
                    period_to: period.to,
                    confidential,
                    opened_by: staff.id,
                    opened_at: now,
                },
            )?;
            let case = regulator_case::find_for_authority(conn, RegulatorCaseId(id), &authority)?
                .ok_or_else(|| AppError::internal("the new case is not there"))?;
            record(conn, &keys, staff, &case, &subject, "opened", None, now)?;
            tracing::info!(staff_user = staff.id, case = id, "regulator case opened");
            Ok(Answer::Redirect(format!("/staff/regulator/cases/{id}")))
        },
    )
    .await
}
