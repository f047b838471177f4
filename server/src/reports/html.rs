//! The print-ready HTML form: one self-contained file (styles inline, no scripts, no external
//! requests), laid out for A4 when printed.

use askama::Template;

use super::content::ReportContent;
use super::texts::ReportTexts;
use super::AccessReport;
use crate::error::AppError;

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage<'a> {
    lang: &'a str,
    t: &'a ReportTexts,
    c: &'a ReportContent,
    sha256: &'a str,
    generated: String,
    period: String,
    log_line: Option<String>,
}

pub fn render(report: &AccessReport) -> Result<String, AppError> {
    let texts = report.texts();
    let content = &report.content;
    ReportPage {
        lang: report.lang.code(),
        t: texts,
        c: content,
        sha256: &report.sha256,
        generated: human_time(&content.generated_at),
        period: period_text(report),
        log_line: texts.log_line(content.log_checkpoint.as_ref()),
    }
    .render()
    .map_err(|e| AppError::internal(format!("report template: {e}")))
}

/// "2026-01-01 – 2026-11-27 (Europe/Berlin)".
pub fn period_text(report: &AccessReport) -> String {
    let period = &report.content.period;
    format!("{} – {} ({})", period.from, period.to, period.time_zone)
}

/// "2026-11-27 14:53 UTC" from an RFC 3339 instant.
pub fn human_time(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|_| rfc3339.to_owned())
}
