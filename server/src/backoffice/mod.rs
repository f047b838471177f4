//! The privacy back office: staff sign-in, the dispute queue, the case view and the actions on
//! a case. Every action is allowed by [`StaffRole::may`], recorded in the case history with who
//! and when, and committed in one transaction with its emails sent afterwards.

pub mod assign;
pub mod case;
pub mod decide;
pub mod detection;
pub mod extend;
pub mod feed_admin;
pub mod feed_tokens;
pub mod investigations;
pub mod message;
pub mod note;
pub mod queue;
pub mod replay;
pub mod request_info;
pub mod review;
pub mod service_tokens;
pub mod staff_accounts;

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{NaiveDateTime, Utc};

use crate::auth::staff_session::Permission;
use crate::auth::StaffSession;
use crate::db::customer::{self, CustomerRow};
use crate::db::dispute::{self, DisputeRow};
use crate::db::staff_user::StaffUserRow;
use crate::db::AnyConnection;
use crate::domain::DisputeReference;
use crate::email::{self, CaseEmail};
use crate::error::{AppError, ErrorKind};
use crate::state::AppState;
use crate::web::forms::Form;
use crate::web::pages::refusal_page;
use crate::web::routes::{Access, Routes};
use crate::web::see_other;

pub fn routes(routes: &mut Routes) {
    let staff = Access::Staff;
    routes.post("/staff/disputes/{reference}/review", staff, review::review);
    routes.post("/staff/disputes/{reference}/assign", staff, assign::assign);
    routes.post(
        "/staff/disputes/{reference}/request-info",
        staff,
        request_info::request_info,
    );
    routes.post(
        "/staff/disputes/{reference}/message",
        staff,
        message::message,
    );
    routes.post("/staff/disputes/{reference}/note", staff, note::note);
    routes.post("/staff/disputes/{reference}/extend", staff, extend::extend);
    routes.post("/staff/disputes/{reference}/decide", staff, decide::decide);
    routes.post("/staff/admin/staff", staff, staff_accounts::create);
    routes.post(
        "/staff/admin/staff/{id}/deactivate",
        staff,
        staff_accounts::deactivate,
    );
    routes.post(
        "/staff/admin/staff/{id}/activate",
        staff,
        staff_accounts::activate,
    );
    routes.post("/staff/admin/feed/tokens", staff, feed_tokens::create);
    routes.post(
        "/staff/admin/feed/tokens/{id}/revoke",
        staff,
        feed_tokens::revoke,
    );
    routes.post(
        "/staff/investigations/{reference}/note",
        staff,
        investigations::note,
    );
    routes.post(
        "/staff/investigations/{reference}/decide",
        staff,
        investigations::decide,
    );
    routes.post("/staff/admin/detection/rules", staff, detection::save_rules);
    routes.post("/staff/admin/detection/fit", staff, detection::save_fit);
    routes.post("/staff/admin/service-tokens", staff, service_tokens::create);
    routes.post(
        "/staff/admin/service-tokens/{id}/revoke",
        staff,
        service_tokens::revoke,
    );
    routes.post(
        "/staff/admin/dead-letters/{id}/replay",
        staff,
        replay::replay,
    );
}

/// What an action did: emails to send after commit, or a refusal code for the case page.
pub enum Done {
    Changed(Vec<CaseEmail>),
    Refused(&'static str),
}

/// Everything an action on a case may read.
pub struct CaseContext<'a> {
    pub staff: &'a StaffUserRow,
    pub dispute: &'a DisputeRow,
    pub customer: &'a CustomerRow,
    pub now: NaiveDateTime,
}

/// Runs one staff action on the case named in the path, for a staff member whose role allows
/// `P`: refuses closed cases, runs `work` in a write transaction, then sends its emails.
pub async fn case_action<P: Permission, F>(
    request: HttpRequest,
    session: StaffSession<P>,
    state: web::Data<AppState>,
    reference: String,
    form: Form,
    work: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(&mut AnyConnection, &CaseContext<'_>, &Form) -> Result<Done, AppError>
        + Send
        + 'static,
{
    let looked_up = reference.clone();
    let staff = session.staff;
    let outcome = state
        .db
        .write(move |conn| {
            let reference = DisputeReference::parse(&looked_up)
                .map_err(|_| AppError::new(ErrorKind::NotFound))?;
            // Two staff acting on one case at once take turns, and the second sees what the
            // first did (e.g. that it is decided).
            let dispute = dispute::find_for_update(conn, reference.as_str())?
                .ok_or_else(|| AppError::new(ErrorKind::NotFound))?;
            let now = Utc::now().naive_utc();
            if dispute.status().is_closed() {
                return Ok(Done::Refused("closed"));
            }
            let customer = customer::find(conn, dispute.customer_id())?
                .ok_or_else(|| AppError::internal("dispute without customer"))?;
            let context = CaseContext {
                staff: &staff,
                dispute: &dispute,
                customer: &customer,
                now,
            };
            let done = work(conn, &context, &form)?;
            if matches!(done, Done::Changed(_)) {
                dispute::update(
                    conn,
                    dispute.id(),
                    &dispute::DisputeChange {
                        updated_at: Some(now),
                        ..Default::default()
                    },
                )?;
            }
            Ok(done)
        })
        .await;
    let case_url = format!("/staff/disputes/{}", app::dto::percent_encode(&reference));
    match outcome {
        Ok(Done::Changed(emails)) => {
            email::deliver_all(state.settings.clone(), emails).await;
            Ok(see_other(&format!("{case_url}?notice=saved")))
        }
        Ok(Done::Refused(code)) => Ok(see_other(&format!("{case_url}?error={code}"))),
        Err(error) if error.kind == ErrorKind::NotFound => refusal_page(&request, error, "/staff"),
        Err(error) => refusal_page(&request, error, &case_url),
    }
}

/// Staff-written text (messages, notes, explanations) under the same rules as the customer's.
pub fn staff_text(form: &Form, field: &str) -> Result<crate::domain::PlainText, &'static str> {
    use crate::domain::dispute::PlainTextError;
    let raw = form.get(field).unwrap_or_default();
    crate::domain::PlainText::parse(raw).map_err(|e| match e {
        PlainTextError::Empty => "text_empty",
        PlainTextError::TooLong => "text_too_long",
    })
}

/// Records a history entry (every staff action leaves one) attributed to the acting staff member.
pub fn record(
    conn: &mut AnyConnection,
    context: &CaseContext<'_>,
    kind: &str,
    body: Option<&str>,
    visible_to_customer: bool,
) -> Result<(), AppError> {
    crate::db::dispute_history::insert(
        conn,
        &crate::db::dispute_history::NewHistoryEntry::new(
            context.dispute.id(),
            context.now,
            Some(context.staff.id()),
            kind,
            body,
            visible_to_customer,
        ),
    )?;
    Ok(())
}

/// An email about this case to its customer.
pub fn email_about(
    context: &CaseContext<'_>,
    notice: email::Notice,
    due_on: chrono::NaiveDate,
    quote: Option<&str>,
) -> Option<CaseEmail> {
    crate::disputes::email_to(context.customer, context.dispute, notice, due_on, quote)
}

/// What an admin form post answers.
pub enum Answer {
    Redirect(String),
    /// A page shown once (e.g. a new feed token), never stored.
    Page(String),
}

/// Runs one staff form post that is not about a case, for a staff member whose role allows
/// `P`: runs `work` in a write transaction.
pub async fn staff_post<P: Permission, F>(
    request: HttpRequest,
    session: StaffSession<P>,
    state: web::Data<AppState>,
    form: Form,
    work: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(&mut AnyConnection, &StaffUserRow, &Form, NaiveDateTime) -> Result<Answer, AppError>
        + Send
        + 'static,
{
    let staff = session.staff;
    let outcome = state
        .db
        .write(move |conn| work(conn, &staff, &form, Utc::now().naive_utc()))
        .await;
    match outcome {
        Ok(Answer::Redirect(location)) => Ok(see_other(&location)),
        Ok(Answer::Page(html)) => Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(html)),
        Err(error) => refusal_page(&request, error, "/staff"),
    }
}
