//! Disputes, the customer's side: filing, replying, withdrawing (form posts), and what the
//! portal pages show (through `app::backend::PortalBackend`).

pub mod file;
pub mod reply;
pub mod view;
pub mod withdraw;

use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use app::dto::disputes::{CaseStep, DisputeSummary};
use app::i18n::Lang;

use crate::db::customer::CustomerRow;
use crate::db::dispute::DisputeRow;
use crate::db::dispute_history::HistoryRow;
use crate::email::{CaseEmail, Notice};

/// Where a customer's stored time zone is missing or unknown.
pub const FALLBACK_TIME_ZONE: Tz = chrono_tz::Europe::Berlin;

pub fn time_zone_of(customer: &CustomerRow) -> Tz {
    customer.time_zone.parse().unwrap_or(FALLBACK_TIME_ZONE)
}

pub fn local_date(at: NaiveDateTime, zone: Tz) -> NaiveDate {
    Utc.from_utc_datetime(&at).with_timezone(&zone).date_naive()
}

pub fn local_date_time(at: NaiveDateTime, zone: Tz) -> String {
    Utc.from_utc_datetime(&at)
        .with_timezone(&zone)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// The list form of a case. `today` is the viewer's local day, for "overdue".
pub fn summary(row: &DisputeRow, event_count: i64, zone: Tz, today: NaiveDate) -> DisputeSummary {
    let deadline = row.deadline();
    DisputeSummary {
        reference: row.reference.clone(),
        status: row.status.clone(),
        ground: row.ground.clone(),
        received_on: local_date(row.received_at, zone),
        due_on: deadline.due_on(),
        extended: deadline.extended.is_some(),
        overdue: deadline.is_overdue(today, row.status()),
        event_count: u32::try_from(event_count).unwrap_or(u32::MAX),
    }
}

/// History rows as steps; `staff_names` says whether to show who acted (back office only).
pub fn steps(
    history: Vec<(HistoryRow, Option<String>)>,
    zone: Tz,
    staff_names: bool,
) -> Vec<CaseStep> {
    history
        .into_iter()
        .map(|(row, name)| CaseStep {
            kind: row.kind,
            at: local_date_time(row.happened_at, zone),
            body: row.body,
            by_staff: if staff_names {
                name
            } else {
                name.map(|_| String::new())
            },
        })
        .collect()
}

/// An email about `dispute` to its customer, in the customer's language.
pub fn email_to(
    customer: &CustomerRow,
    dispute: &DisputeRow,
    notice: Notice,
    due_on: NaiveDate,
    quote: Option<&str>,
) -> CaseEmail {
    CaseEmail {
        notice,
        lang: Lang::parse(&customer.lang).unwrap_or_default(),
        to: customer.email.clone(),
        customer_name: customer.display_name.clone(),
        reference: dispute.reference.clone(),
        due_on,
        quote: quote.map(str::to_owned),
    }
}

#[derive(Template)]
#[template(path = "message_page.html")]
struct MessagePage<'a> {
    lang: &'a str,
    app_name: &'a str,
    title: &'a str,
    message: &'a str,
    back_href: &'a str,
    back_label: &'a str,
}

/// A small page for refused form posts (403, 404, 409), in the reader's language.
pub fn message_page(
    request: &HttpRequest,
    status: actix_web::http::StatusCode,
    title: &str,
    message: &str,
    back_href: &str,
) -> HttpResponse {
    let lang = app::lang_of_request(request);
    let texts = lang.texts();
    let body = MessagePage {
        lang: lang.code(),
        app_name: texts.app_name,
        title,
        message,
        back_href,
        back_label: texts.to_start,
    }
    .render()
    .unwrap_or_else(|_| message.to_owned());
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// Reads `application/x-www-form-urlencoded` with repeated keys (`event=1&event=2`), which
/// serde's form extractor cannot.
pub fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn form_value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

pub fn not_found_page(request: &HttpRequest) -> HttpResponse {
    let texts = app::lang_of_request(request).texts();
    message_page(
        request,
        actix_web::http::StatusCode::NOT_FOUND,
        texts.not_found_title,
        texts.not_found_body,
        "/disputes",
    )
}

/// A case the signed-in customer acts on, or why they may not.
pub enum CustomerCase {
    Found {
        customer: Box<CustomerRow>,
        dispute: Box<DisputeRow>,
    },
    NotSignedIn,
    /// Not there or not theirs: indistinguishable on purpose.
    NotFound,
    Closed,
}

impl CustomerCase {
    pub fn load(
        conn: &mut crate::db::AnyConnection,
        token: Option<&str>,
        reference: &str,
        idle_minutes: u32,
        now: NaiveDateTime,
    ) -> Result<Self, crate::error::AppError> {
        let Some(token) = token else {
            return Ok(Self::NotSignedIn);
        };
        let Some(customer) =
            crate::auth::session::customer_for_token(conn, token, idle_minutes, now)?
        else {
            return Ok(Self::NotSignedIn);
        };
        let Ok(reference) = crate::domain::DisputeReference::parse(reference) else {
            return Ok(Self::NotFound);
        };
        // Callers change the case: read it locked, after any concurrent staff action.
        let Some(dispute) = crate::db::dispute::find_for_update(conn, reference.as_str())?
            .filter(|d| d.customer_id == customer.id)
        else {
            return Ok(Self::NotFound);
        };
        if dispute.status().is_closed() {
            return Ok(Self::Closed);
        }
        Ok(Self::Found {
            customer: Box::new(customer),
            dispute: Box::new(dispute),
        })
    }
}

/// The answer to a customer's form post on a case that was refused.
pub fn refused(request: &HttpRequest, case: &CustomerCase, reference: &str) -> HttpResponse {
    match case {
        CustomerCase::NotSignedIn => crate::http::see_other(&format!(
            "/login?notice=session&next=/disputes/{}",
            app::dto::percent_encode(reference)
        )),
        CustomerCase::Closed => {
            crate::http::see_other(&format!("/disputes/{reference}?error=closed"))
        }
        _ => not_found_page(request),
    }
}
