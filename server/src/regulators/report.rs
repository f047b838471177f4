//! `GET /staff/regulator/cases/{id}/report?format=`: the subject's access report for the case's
//! period, in any report format. Each download is recorded.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

use app::i18n::Lang;

use super::{own_case, record};
use crate::auth::{may, StaffSession};
use crate::db::customer;
use crate::domain::{CustomerId, ReportPeriod};
use crate::error::{AppError, ErrorKind};
use crate::reports::{content, download::respond, ReportFormat};
use crate::state::AppState;
use crate::web::pages::refusal_page;
use crate::web::Query;

pub async fn download(
    request: HttpRequest,
    session: StaffSession<may::WorkOnRegulatorCases>,
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
    let staff = session.staff;
    let log_keys = state.log_keys.clone();
    let witnessing = state.witnessing.clone();
    let retention = state.settings.retention;
    let built = state
        .db
        .write(move |conn| {
            let case = own_case(conn, &staff, &id)?;
            let format = format.ok_or_else(|| AppError::invalid("format"))?;
            let subject = customer::find(conn, CustomerId(case.customer_id))?
                .ok_or_else(|| AppError::internal("case without subject"))?;
            let now = Utc::now().naive_utc();
            let period = ReportPeriod {
                from: case.period_from,
                to: case.period_to,
            };
            let log = content::LogContext {
                keys: &log_keys,
                witness_policy: witnessing.as_ref().map(|w| &w.policy),
                retention,
            };
            let report = content::build(conn, &log, &subject, period, lang, now)?;
            record(
                conn,
                &log_keys,
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
        Ok((report, format)) => respond(report, format).await,
        Err(error) if matches!(error.kind, ErrorKind::InvalidInput { .. }) => Err(error),
        Err(error) => refusal_page(&request, error, "/staff/regulator"),
    }
}
