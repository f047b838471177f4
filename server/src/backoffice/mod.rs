//! The privacy back office: staff sign-in, the dispute queue, the case view and the actions on
//! a case. Every action is allowed by [`StaffRole::may`], recorded in the case history with who
//! and when, and committed in one transaction with its emails sent afterwards.

pub mod assign;
pub mod case;
pub mod decide;
pub mod extend;
pub mod feed_admin;
pub mod feed_tokens;
pub mod login;
pub mod message;
pub mod note;
pub mod queue;
pub mod replay;
pub mod request_info;
pub mod review;
pub mod staff_accounts;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{NaiveDateTime, Utc};

use app::dto::backoffice::StaffViewer;

use crate::auth::session;
use crate::db::customer::{self, CustomerRow};
use crate::db::dispute::{self, DisputeRow};
use crate::db::staff_user::StaffUserRow;
use crate::db::AnyConnection;
use crate::disputes::{form_pairs, message_page};
use crate::domain::{DisputeReference, StaffPermission, StaffRole};
use crate::email::{self, CaseEmail};
use crate::error::{AppError, ErrorKind};
use crate::http::{see_other, AppState};

/// The signed-in staff member, if their role allows `permission`. A refusal is logged: the
/// "not allowed" page tells staff that attempts are recorded.
pub fn staff_allowed(
    conn: &mut AnyConnection,
    token: Option<&str>,
    idle_minutes: u32,
    permission: StaffPermission,
) -> Result<(StaffUserRow, StaffRole), AppError> {
    let (staff, role) = signed_in_staff(conn, token, idle_minutes)?;
    if !role.may(permission) {
        tracing::warn!(
            staff_user = staff.id,
            role = role.code(),
            permission = ?permission,
            "staff action refused"
        );
        return Err(AppError::new(ErrorKind::Forbidden));
    }
    Ok((staff, role))
}

/// The signed-in staff member and their role, or `NotSignedIn`.
pub fn signed_in_staff(
    conn: &mut AnyConnection,
    token: Option<&str>,
    idle_minutes: u32,
) -> Result<(StaffUserRow, StaffRole), AppError> {
    let token = token.ok_or_else(|| AppError::new(ErrorKind::NotSignedIn))?;
    let staff = session::staff_for_token(conn, token, idle_minutes, Utc::now().naive_utc())?
        .ok_or_else(|| AppError::new(ErrorKind::NotSignedIn))?;
    let role = staff
        .role()
        .ok_or_else(|| AppError::new(ErrorKind::Forbidden))?;
    Ok((staff, role))
}

pub fn viewer(staff: &StaffUserRow) -> StaffViewer {
    StaffViewer {
        name: staff.display_name.clone(),
        role: staff.staff_role.clone(),
    }
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

/// Runs one staff action on the case named in the path: checks the session and `permission`,
/// refuses closed cases, runs `work` in a write transaction, then sends its emails.
pub async fn case_action<F>(
    request: HttpRequest,
    state: web::Data<AppState>,
    reference: String,
    permission: StaffPermission,
    body: web::Bytes,
    work: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(&mut AnyConnection, &CaseContext<'_>, &[(String, String)]) -> Result<Done, AppError>
        + Send
        + 'static,
{
    let token = session::staff_token_of(&request);
    let idle_minutes = state.settings.session_idle_minutes;
    let pairs = form_pairs(&body);
    let looked_up = reference.clone();
    let outcome = state
        .db
        .write(move |conn| {
            let (staff, _) = staff_allowed(conn, token.as_deref(), idle_minutes, permission)?;
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
            let done = work(conn, &context, &pairs)?;
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
        Err(error) => refused(&request, error, &case_url),
    }
}

/// Refusals of staff form posts as pages a person can read; other errors stay errors.
pub(crate) fn refused(
    request: &HttpRequest,
    error: AppError,
    case_url: &str,
) -> Result<HttpResponse, AppError> {
    let lang = app::lang_of_request(request);
    let texts = lang.texts();
    let staff = lang.backoffice();
    Ok(match error.kind {
        ErrorKind::NotSignedIn => see_other("/staff/login?notice=session"),
        ErrorKind::Forbidden => message_page(
            request,
            StatusCode::FORBIDDEN,
            staff.forbidden_title,
            staff.forbidden_body,
            case_url,
        ),
        ErrorKind::NotFound => message_page(
            request,
            StatusCode::NOT_FOUND,
            texts.not_found_title,
            texts.not_found_body,
            "/staff",
        ),
        _ => return Err(error),
    })
}

/// Staff-written text (messages, notes, explanations) under the same rules as the customer's.
pub fn staff_text(
    pairs: &[(String, String)],
    field: &str,
) -> Result<crate::domain::PlainText, &'static str> {
    use crate::domain::dispute::PlainTextError;
    let raw = crate::disputes::form_value(pairs, field).unwrap_or_default();
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
) -> CaseEmail {
    crate::disputes::email_to(context.customer, context.dispute, notice, due_on, quote)
}

/// What an admin form post answers.
pub enum Answer {
    Redirect(String),
    /// A page shown once (e.g. a new feed token), never stored.
    Page(String),
}

/// Runs one staff form post that is not about a case: checks the session and `permission`,
/// runs `work` in a write transaction.
pub async fn staff_post<F>(
    request: HttpRequest,
    state: web::Data<AppState>,
    permission: StaffPermission,
    body: web::Bytes,
    work: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(
            &mut AnyConnection,
            &StaffUserRow,
            &[(String, String)],
            NaiveDateTime,
        ) -> Result<Answer, AppError>
        + Send
        + 'static,
{
    let token = session::staff_token_of(&request);
    let idle_minutes = state.settings.session_idle_minutes;
    let pairs = form_pairs(&body);
    let outcome = state
        .db
        .write(move |conn| {
            let (staff, _) = staff_allowed(conn, token.as_deref(), idle_minutes, permission)?;
            work(conn, &staff, &pairs, Utc::now().naive_utc())
        })
        .await;
    match outcome {
        Ok(Answer::Redirect(location)) => Ok(see_other(&location)),
        Ok(Answer::Page(html)) => Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(html)),
        Err(error) => refused(&request, error, "/staff"),
    }
}

/// Where a staff member lands after signing in.
pub fn home_of(role: StaffRole) -> &'static str {
    match role {
        StaffRole::Admin => "/staff/admin/feed",
        StaffRole::Regulator => "/staff/regulator",
        _ => "/staff",
    }
}
