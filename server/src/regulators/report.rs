//! `GET /staff/regulator/cases/{id}/report?format=`: the subject's access report for the case's
//! period, in any report format. Each download is recorded.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

use app::i18n::Lang;

use super::{own_case, record};
use crate::auth::session;
use crate::backoffice::{refused, staff_allowed};
use crate::db::customer;
use crate::domain::{CustomerId, ReportPeriod, StaffPermission};
use crate::error::{AppError, ErrorKind};
use crate::http::{AppState, Query};
use crate::reports::{content, download::respond, ReportFormat};

pub async fn download(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let query = Query::of(&request);
    let value = |name: &str| query.get(name);
    let format = ReportFormat::parse(value("format").unwrap_or("pdf"));
    let lang = value("lang")
        .and_then(Lang::parse)
        .unwrap_or_else(|| app::lang_of_request(&request));
    let token = session::staff_token_of(&request);
    let idle_minutes = state.settings.session_idle_minutes;
    let log_keys = state.log_keys.clone();
    let built = state
        .db
        .write(move |conn| {
            let (staff, _) = staff_allowed(
                conn,
                token.as_deref(),
                idle_minutes,
                StaffPermission::WorkOnRegulatorCases,
            )?;
            let case = own_case(conn, &staff, &id)?;
            let format = format.ok_or_else(|| AppError::invalid("format"))?;
            let subject = customer::find(conn, CustomerId(case.customer_id))?
                .ok_or_else(|| AppError::internal("case without subject"))?;
            let now = Utc::now().naive_utc();
            let period = ReportPeriod {
                from: case.period_from,
                to: case.period_to,
            };
            let report = content::build(conn, &log_keys, &subject, period, lang, now)?;
            record(
                conn,
                &staff,
                &case,
                &subject,
                "report_downloaded",
                Some(format.extension()),
                now,
            )?;
            Ok((report, format))
        })
        .await;
    match built {
        Ok((report, format)) => respond(&report, format),
        Err(error) if matches!(error.kind, ErrorKind::InvalidInput { .. }) => Err(error),
        Err(error) => refused(&request, error, "/staff/regulator"),
    }
}
