//! Server functions: the browser calls them over HTTP, server rendering calls them directly.
//! The outer error is transport, the inner one is for people.

use leptos::prelude::*;

use crate::dto::admin::{DeadLetterDetail, FeedAdmin, StaffAccounts};
use crate::dto::backoffice::{CaseView, QueuePage, QueueQuery};
use crate::dto::disputes::{DisputeDetail, DisputeDraft, MyDisputes};
use crate::dto::notifications::NotificationSettings;
use crate::dto::regulator::{RegulatorCaseView, RegulatorCases};
use crate::dto::reports::ReportForm;
use crate::dto::statistics::StatisticsPage;
use crate::dto::{PasswordLinkView, PortalError, SignInOptions, TimelineQuery, TimelineScreen};

#[cfg(feature = "ssr")]
struct RequestContext {
    backend: crate::backend::PortalBackendHandle,
    caller: crate::backend::Caller,
    lang: crate::i18n::Lang,
}

#[cfg(feature = "ssr")]
fn request_context() -> Result<RequestContext, ServerFnError> {
    use crate::backend::{Caller, PortalBackendHandle};

    let backend = use_context::<PortalBackendHandle>()
        .ok_or_else(|| ServerFnError::new("portal backend is not configured"))?;
    let request = use_context::<leptos_actix::Request>()
        .ok_or_else(|| ServerFnError::new("no request in context"))?;
    Ok(RequestContext {
        backend,
        caller: Caller::of(&request),
        lang: crate::lang_of_request(&request),
    })
}

/// The signed-in customer's timeline. `#[server(default)]` on a struct or list argument: without
/// filters it arrives as an empty form, which names no `query` field at all.
#[server(prefix = "/rpc", endpoint = "timeline")]
pub async fn load_timeline(
    #[server(default)] query: TimelineQuery,
) -> Result<Result<TimelineScreen, PortalError>, ServerFnError> {
    let c = request_context()?;
    Ok(c.backend
        .0
        .timeline(c.caller, c.lang, query)
        .await
        .map(|page| crate::pages::timeline::render_entries(page, c.lang)))
}

/// The dispute form for the chosen timeline entries.
#[server(prefix = "/rpc", endpoint = "dispute-draft")]
pub async fn load_dispute_draft(
    #[server(default)] event_ids: Vec<String>,
) -> Result<Result<DisputeDraft, PortalError>, ServerFnError> {
    let c = request_context()?;
    Ok(c.backend.0.dispute_draft(c.caller, c.lang, event_ids).await)
}

#[server(prefix = "/rpc", endpoint = "regulator-cases")]
pub async fn load_regulator_cases() -> Result<Result<RegulatorCases, PortalError>, ServerFnError> {
    let c = request_context()?;
    Ok(c.backend.0.regulator_cases(c.caller).await)
}

#[server(prefix = "/rpc", endpoint = "regulator-case")]
pub async fn load_regulator_case(
    id: String,
) -> Result<Result<RegulatorCaseView, PortalError>, ServerFnError> {
    let c = request_context()?;
    Ok(c.backend.0.regulator_case(c.caller, id).await)
}

#[server(prefix = "/rpc", endpoint = "statistics")]
pub async fn load_statistics(
    from: Option<String>,
    to: Option<String>,
) -> Result<Result<StatisticsPage, PortalError>, ServerFnError> {
    let c = request_context()?;
    Ok(c.backend.0.statistics(c.caller, c.lang, from, to).await)
}

/// The access report form.
#[server(prefix = "/rpc", endpoint = "report-form")]
pub async fn load_report_form() -> Result<Result<ReportForm, PortalError>, ServerFnError> {
    let c = request_context()?;
    Ok(c.backend.0.report_form(c.caller).await)
}

#[server(prefix = "/rpc", endpoint = "notification-settings")]
pub async fn load_notification_settings(
) -> Result<Result<NotificationSettings, PortalError>, ServerFnError> {
    let c = request_context()?;
    Ok(c.backend.0.notification_settings(c.caller, c.lang).await)
}

#[server(prefix = "/rpc", endpoint = "my-disputes")]
pub async fn load_my_disputes() -> Result<Result<MyDisputes, PortalError>, ServerFnError> {
    let c = request_context()?;
    Ok(c.backend.0.my_disputes(c.caller).await)
}

#[server(prefix = "/rpc", endpoint = "dispute")]
pub async fn load_dispute(
    reference: String,
) -> Result<Result<DisputeDetail, PortalError>, ServerFnError> {
    let c = request_context()?;
    Ok(c.backend.0.dispute(c.caller, c.lang, reference).await)
}

#[server(prefix = "/rpc", endpoint = "staff-queue")]
pub async fn load_staff_queue(
    #[server(default)] query: QueueQuery,
) -> Result<Result<QueuePage, PortalError>, ServerFnError> {
    let c = request_context()?;
    Ok(c.backend.0.staff_queue(c.caller, query).await)
}

#[server(prefix = "/rpc", endpoint = "staff-case")]
pub async fn load_staff_case(
    reference: String,
) -> Result<Result<CaseView, PortalError>, ServerFnError> {
    let c = request_context()?;
    Ok(c.backend.0.staff_case(c.caller, c.lang, reference).await)
}

#[server(prefix = "/rpc", endpoint = "staff-accounts")]
pub async fn load_staff_accounts() -> Result<Result<StaffAccounts, PortalError>, ServerFnError> {
    let c = request_context()?;
    Ok(c.backend.0.staff_accounts(c.caller).await)
}

#[server(prefix = "/rpc", endpoint = "feed-admin")]
pub async fn load_feed_admin() -> Result<Result<FeedAdmin, PortalError>, ServerFnError> {
    let c = request_context()?;
    Ok(c.backend.0.feed_admin(c.caller).await)
}

#[server(prefix = "/rpc", endpoint = "dead-letter")]
pub async fn load_dead_letter(
    id: String,
) -> Result<Result<DeadLetterDetail, PortalError>, ServerFnError> {
    let c = request_context()?;
    Ok(c.backend.0.dead_letter(c.caller, id).await)
}

/// The ways in the sign-in page offers: the customers' (`staff == false`) or the back office's.
#[server(prefix = "/rpc", endpoint = "sign-in-options")]
pub async fn load_sign_in_options(staff: bool) -> Result<SignInOptions, ServerFnError> {
    let c = request_context()?;
    Ok(c.backend.0.sign_in_options(staff))
}

/// Whether a set-password link can still be used (looking does not use it up).
#[server(prefix = "/rpc", endpoint = "password-link")]
pub async fn load_password_link(
    token: String,
) -> Result<Result<PasswordLinkView, PortalError>, ServerFnError> {
    let c = request_context()?;
    Ok(c.backend.0.password_link(token).await)
}

#[server(prefix = "/rpc", endpoint = "investigations")]
pub async fn load_investigations(
    all: bool,
) -> Result<Result<crate::dto::investigations::InvestigationQueue, PortalError>, ServerFnError> {
    let c = request_context()?;
    Ok(c.backend.0.investigations(c.caller, all).await)
}

#[server(prefix = "/rpc", endpoint = "investigation")]
pub async fn load_investigation(
    reference: String,
) -> Result<Result<crate::dto::investigations::InvestigationView, PortalError>, ServerFnError> {
    let c = request_context()?;
    Ok(c.backend.0.investigation(c.caller, c.lang, reference).await)
}

#[server(prefix = "/rpc", endpoint = "detection-settings")]
pub async fn load_detection_settings(
) -> Result<Result<crate::dto::investigations::DetectionSettings, PortalError>, ServerFnError> {
    let c = request_context()?;
    Ok(c.backend.0.detection_settings(c.caller, c.lang).await)
}
