//! `GET /reports/access`: the signed-in customer's access report for `from`–`to` in `format`
//! (`html`, `pdf`, `json`, `csv`). Bad input goes back to the form at `/reports` with the
//! reason and what was typed.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

use app::dto::percent_encode;
use app::i18n::Lang;

use super::{content, AccessReport, ReportFormat};
use crate::auth::CustomerSession;
use crate::domain::time::local_date;
use crate::domain::ReportPeriod;
use crate::error::{AppError, ErrorKind};
use crate::state::AppState;
use crate::web::{see_other, Query};

/// The HTML report styles itself inline and runs nothing.
const REPORT_HTML_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; \
                               form-action 'none'; frame-ancestors 'none'";

pub async fn download(
    request: HttpRequest,
    session: CustomerSession,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let query = Query::of(&request);
    let value = |name: &str| query.get(name).map(str::to_owned);
    let (from, to) = (value("from"), value("to"));
    let back_to_form = |error: &str| {
        see_other(&format!(
            "/reports?error={error}&from={}&to={}",
            percent_encode(from.as_deref().unwrap_or("")),
            percent_encode(to.as_deref().unwrap_or(""))
        ))
    };
    let Some(format) = ReportFormat::parse(value("format").as_deref().unwrap_or("pdf")) else {
        return Ok(back_to_form("format"));
    };
    let lang = value("lang")
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or_else(|| app::lang_of_request(&request));
    let customer = session.customer;
    let log_keys = state.log_keys.clone();
    let witnessing = state.witnessing.clone();
    let retention = state.settings.retention;
    let (from_raw, to_raw) = (from.clone(), to.clone());
    let built = state
        .db
        .run(move |conn| {
            let now = Utc::now().naive_utc();
            let today = local_date(now, customer.time_zone());
            let period = ReportPeriod::parse(from_raw.as_deref(), to_raw.as_deref(), today)?;
            let log = content::LogContext {
                keys: &log_keys,
                witness_policy: witnessing.as_ref().map(|w| &w.policy),
                retention,
            };
            content::build(conn, &log, &customer, period, lang, now)
        })
        .await;
    let report = match built {
        Ok(report) => report,
        Err(AppError {
            kind: ErrorKind::InvalidInput { field },
            ..
        }) => return Ok(back_to_form(field)),
        Err(other) => return Err(other),
    };
    respond(report, format).await
}

/// The report as a download (HTML opens in the browser, ready to print). Rendered on the
/// blocking pool: a long report's PDF layout and font subsetting take milliseconds.
pub async fn respond(report: AccessReport, format: ReportFormat) -> Result<HttpResponse, AppError> {
    let (report, body) = web::block(move || {
        let body = format.render(&report);
        (report, body)
    })
    .await
    .map_err(|e| AppError::internal(format!("rendering a report: {e}")))?;
    let body = body?;
    let disposition = if format == ReportFormat::Html {
        "inline"
    } else {
        "attachment"
    };
    let mut response = HttpResponse::Ok();
    response
        .content_type(format.content_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "{disposition}; filename=\"{}\"",
                report.file_name(format.extension())
            ),
        ))
        .insert_header(("X-Content-SHA256", report.sha256.clone()));
    if format == ReportFormat::Html {
        response.insert_header((header::CONTENT_SECURITY_POLICY, REPORT_HTML_CSP));
    }
    Ok(response.body(body))
}
