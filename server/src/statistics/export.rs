//! `GET /staff/statistics/export?from=&to=&format=csv|json|pdf`: the figures as a file.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

use app::dto::statistics::{tenths, Count, StatisticsFigures};
use app::i18n::Lang;

use crate::auth::{may, StaffSession};
use crate::domain::time::{local_date, FALLBACK_TIME_ZONE};
use crate::domain::ReportPeriod;
use crate::error::{AppError, ErrorKind};
use crate::reports::csv::push_row;
use crate::reports::pdf::{Layout, BOLD, REGULAR};
use crate::state::AppState;
use crate::web::pages::refusal_page;
use crate::web::Query;

pub async fn export(
    request: HttpRequest,
    session: StaffSession<may::ViewStatistics>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let query = Query::of(&request);
    let value = |name: &str| query.get(name).map(str::to_owned);
    let format = value("format").unwrap_or_else(|| "csv".into());
    let lang = value("lang")
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or_else(|| app::lang_of_request(&request));
    let (from, to) = (value("from"), value("to"));
    let (staff, role) = (session.staff, session.role);
    let built = state
        .db
        .run(move |conn| {
            let now = Utc::now().naive_utc();
            let period = ReportPeriod::parse(
                from.as_deref(),
                to.as_deref(),
                local_date(now, FALLBACK_TIME_ZONE),
            )?;
            let figures = super::build(conn, period, lang, now)?;
            tracing::info!(
                staff_user = staff.id,
                role = role.code(),
                from = %period.from,
                to = %period.to,
                "statistics exported"
            );
            Ok(figures)
        })
        .await;
    let figures = match built {
        Ok(figures) => figures,
        Err(error) if matches!(error.kind, ErrorKind::InvalidInput { .. }) => {
            return Err(error);
        }
        Err(error) => return refusal_page(&request, error, "/staff/statistics"),
    };
    let (body, content_type, extension) = match format.as_str() {
        "json" => (
            serde_json::to_vec_pretty(&figures)
                .map_err(|e| AppError::internal(format!("statistics JSON: {e}")))?,
            "application/json",
            "json",
        ),
        "csv" => (csv(&figures).into_bytes(), "text/csv; charset=utf-8", "csv"),
        "pdf" => {
            // Layout and font subsetting: on the blocking pool, not an async worker.
            let copy = figures.clone();
            let rendered = web::block(move || pdf(&copy, lang))
                .await
                .map_err(|e| AppError::internal(format!("rendering statistics: {e}")))?;
            (rendered?, "application/pdf", "pdf")
        }
        _ => return Err(AppError::invalid("format")),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"einblick-statistics-{}-{}.{extension}\"",
                figures.period_from, figures.period_to
            ),
        ))
        .body(body))
}

/// One row per role × category × reason, then the totals and dispute figures as rows whose
/// `role` column names them, so every figure is in one table.
fn csv(figures: &StatisticsFigures) -> String {
    let mut out = String::from("\u{feff}");
    push_row(
        &mut out,
        &[
            "period_from",
            "period_to",
            "role",
            "data_category",
            "reason",
            "accesses",
            "accesses_without_ticket",
        ],
    );
    let (from, to) = (figures.period_from.as_str(), figures.period_to.as_str());
    for c in &figures.accesses.combinations {
        push_row(
            &mut out,
            &[
                from,
                to,
                &c.role.code,
                &c.category.code,
                &c.reason.code,
                &c.count.to_string(),
                &c.without_ticket.to_string(),
            ],
        );
    }
    out.push_str("\r\n");
    push_row(
        &mut out,
        &[
            "period_from",
            "period_to",
            "role",
            "accesses_judged",
            "explained_percent",
            "flagged_per_1000",
        ],
    );
    for r in &figures.accesses.explanation_by_role {
        push_row(
            &mut out,
            &[
                from,
                to,
                &r.role.code,
                &r.accesses.to_string(),
                &tenths(r.explained_permille),
                &r.flags_per_thousand.to_string(),
            ],
        );
    }
    out.push_str("\r\n");
    push_row(&mut out, &["figure", "value"]);
    let a = &figures.accesses;
    let d = &figures.disputes;
    let optional = |v: Option<u64>| v.map(tenths).unwrap_or_default();
    for (name, value) in [
        ("accesses_total", a.total.to_string()),
        ("accesses_without_reason", a.without_reason.to_string()),
        ("accesses_without_ticket", a.without_ticket.to_string()),
        ("accesses_explained_percent", tenths(a.explained_permille)),
        ("disputes_opened", d.opened.to_string()),
        ("disputes_upheld", d.upheld.to_string()),
        ("disputes_rejected", d.rejected.to_string()),
        ("disputes_withdrawn", d.withdrawn.to_string()),
        (
            "days_to_answer_median",
            optional(d.median_tenths_of_days_to_answer),
        ),
        (
            "days_to_answer_p90",
            optional(d.p90_tenths_of_days_to_answer),
        ),
        ("disputes_overdue_open", d.overdue_open.to_string()),
        ("disputes_answered_late", d.answered_late.to_string()),
    ] {
        push_row(&mut out, &[name, &value]);
    }
    out
}

fn pdf(figures: &StatisticsFigures, lang: Lang) -> Result<Vec<u8>, AppError> {
    let texts = lang.statistics();
    let mut doc = Layout::new();
    let period = format!("{} – {}", figures.period_from, figures.period_to);
    doc.text(texts.title, BOLD, 18.0, 0.0);
    doc.text(
        &format!("{}: {period} (Europe/Berlin)", texts.period),
        REGULAR,
        10.0,
        0.0,
    );
    doc.text(
        &format!("{}: {}", texts.generated, figures.generated_at),
        REGULAR,
        10.0,
        0.0,
    );
    let a = &figures.accesses;
    doc.heading(texts.accesses_heading);
    for (label, value) in [
        (texts.total, a.total.to_string()),
        (
            texts.without_reason,
            format!(
                "{} ({} %)",
                a.without_reason,
                tenths(a.without_reason_permille)
            ),
        ),
        (
            texts.without_ticket,
            format!(
                "{} ({} %)",
                a.without_ticket,
                tenths(a.without_ticket_permille)
            ),
        ),
    ] {
        doc.text(&format!("{label}: {value}"), REGULAR, 10.0, 0.0);
    }
    doc.text(
        &format!(
            "{}: {} %",
            texts.explained_share,
            tenths(a.explained_permille)
        ),
        REGULAR,
        10.0,
        0.0,
    );
    if !a.explanation_by_role.is_empty() {
        doc.heading(texts.explanation_heading);
        for r in &a.explanation_by_role {
            doc.text(
                &format!(
                    "{}: {} {} · {} {} % · {} {}",
                    r.role.label,
                    r.accesses,
                    texts.col_accesses,
                    texts.col_explained,
                    tenths(r.explained_permille),
                    texts.col_flags,
                    r.flags_per_thousand
                ),
                REGULAR,
                10.0,
                0.0,
            );
        }
    }
    for (heading, counts) in [
        (texts.by_role, &a.by_role),
        (texts.by_category, &a.by_category),
        (texts.by_reason, &a.by_reason),
    ] {
        doc.heading(heading);
        bars(&mut doc, counts);
    }
    let d = &figures.disputes;
    doc.heading(texts.disputes_heading);
    let days = |v: Option<u64>| v.map(tenths).unwrap_or_else(|| "–".into());
    for (label, value) in [
        (texts.opened, d.opened.to_string()),
        (texts.upheld, d.upheld.to_string()),
        (texts.rejected, d.rejected.to_string()),
        (texts.withdrawn, d.withdrawn.to_string()),
        (texts.median, days(d.median_tenths_of_days_to_answer)),
        (texts.p90, days(d.p90_tenths_of_days_to_answer)),
        (texts.overdue_open, d.overdue_open.to_string()),
        (texts.answered_late, d.answered_late.to_string()),
    ] {
        doc.text(&format!("{label}: {value}"), REGULAR, 10.0, 0.0);
    }
    doc.finish(
        texts.title,
        &period,
        crate::reports::texts::report_texts(lang).page,
    )
}

fn bars(doc: &mut Layout, counts: &[Count]) {
    let largest = counts.first().map(|c| c.count).unwrap_or(0);
    for count in counts {
        doc.bar(&count.label, count.count, count.percent_of(largest));
    }
}
