//! Disputes, the customer's side: filing, replying, withdrawing (form posts), and what the
//! portal pages show (through `app::backend::PortalBackend`).

pub mod file;
pub mod reply;
pub mod view;
pub mod withdraw;

use actix_web::{HttpRequest, HttpResponse};
use chrono::NaiveDate;
use chrono_tz::Tz;

use app::dto::disputes::{CaseStep, DisputeSummary};
use app::i18n::Lang;

use crate::auth::CustomerSession;
use crate::db::customer::CustomerRow;
use crate::db::dispute::DisputeRow;
use crate::db::dispute_history::HistoryRow;
use crate::domain::time::{local_date, local_date_time};
use crate::email::{CaseEmail, Notice};
use crate::web::routes::{Access, Routes};
use crate::web::{pages, see_other};

pub fn routes(routes: &mut Routes) {
    routes.post("/disputes", Access::Customer, file::file);
    routes.post(
        "/disputes/{reference}/messages",
        Access::Customer,
        reply::reply,
    );
    routes.post(
        "/disputes/{reference}/withdraw",
        Access::Customer,
        withdraw::withdraw,
    );
}

/// The list form of a case. `today` is the viewer's local day, for "overdue".
pub fn summary(row: &DisputeRow, event_count: i64, zone: Tz, today: NaiveDate) -> DisputeSummary {
    let deadline = row.deadline();
    DisputeSummary {
        reference: row.reference.clone(),
        status: row.status.code().to_owned(),
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

/// An email about `dispute` to its customer, in the customer's language; `None` for a customer
/// without an email address (they read it in the portal).
pub fn email_to(
    customer: &CustomerRow,
    dispute: &DisputeRow,
    notice: Notice,
    due_on: NaiveDate,
    quote: Option<&str>,
) -> Option<CaseEmail> {
    Some(CaseEmail {
        notice,
        lang: Lang::parse(&customer.lang).unwrap_or_default(),
        to: customer.email.clone()?,
        customer_name: customer.display_name.clone(),
        reference: dispute.reference.clone(),
        due_on,
        quote: quote.map(str::to_owned),
    })
}

pub fn not_found_page(request: &HttpRequest) -> HttpResponse {
    pages::not_found_page(request, "/disputes")
}

/// A case the signed-in customer acts on, or why they may not.
pub enum CustomerCase {
    Found {
        customer: Box<CustomerRow>,
        dispute: Box<DisputeRow>,
    },
    /// Not there or not theirs: indistinguishable on purpose.
    NotFound,
    Closed,
}

impl CustomerCase {
    pub fn load(
        conn: &mut crate::db::AnyConnection,
        session: &CustomerSession,
        reference: &str,
    ) -> Result<Self, crate::error::AppError> {
        let customer = session.customer.clone();
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
        CustomerCase::Closed => see_other(&format!("/disputes/{reference}?error=closed")),
        _ => not_found_page(request),
    }
}
