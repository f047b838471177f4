//! What the UI needs from the server, as a trait the server implements (the arrow points
//! `server -> app`). Provided to the app through context as a [`PortalBackendHandle`].
//! Each call carries the [`Caller`]: the server alone decides who is asking, with the same code
//! its own HTTP handlers use.

use std::sync::Arc;

use actix_web::http::header::HeaderMap;

use crate::dto::admin::{DeadLetterDetail, FeedAdmin, StaffAccounts};
use crate::dto::backoffice::{CaseView, QueuePage, QueueQuery};
use crate::dto::disputes::{DisputeDetail, DisputeDraft, MyDisputes};
use crate::dto::notifications::NotificationSettings;
use crate::dto::regulator::{RegulatorCaseView, RegulatorCases};
use crate::dto::reports::ReportForm;
use crate::dto::statistics::StatisticsPage;
use crate::dto::{PasswordLinkView, PortalError, SignInOptions, TimelinePage, TimelineQuery};
use crate::i18n::Lang;

/// The parts of a request the server needs to tell who is asking (cookies, forwarding and
/// fetch-metadata headers, the peer). Plain data, so it can travel into the server's futures.
#[derive(Clone, Debug)]
pub struct Caller {
    pub headers: HeaderMap,
    pub peer_addr: Option<std::net::SocketAddr>,
    /// Whether the request reached this process over TLS.
    pub tls: bool,
    pub method: actix_web::http::Method,
    pub path: String,
}

impl Caller {
    pub fn of(request: &actix_web::HttpRequest) -> Self {
        Self {
            headers: request.headers().clone(),
            peer_addr: request.peer_addr(),
            tls: request.app_config().secure(),
            method: request.method().clone(),
            path: request.path().to_owned(),
        }
    }
}

#[async_trait::async_trait]
pub trait PortalBackend: Send + Sync + 'static {
    /// One page of the signed-in customer's timeline.
    async fn timeline(
        &self,
        caller: Caller,
        lang: Lang,
        query: TimelineQuery,
    ) -> Result<TimelinePage, PortalError>;

    /// The dispute form for these timeline entries (ids not the customer's are left out).
    async fn dispute_draft(
        &self,
        caller: Caller,
        lang: Lang,
        event_ids: Vec<String>,
    ) -> Result<DisputeDraft, PortalError>;

    async fn my_disputes(&self, caller: Caller) -> Result<MyDisputes, PortalError>;

    /// The signed-in regulator's cases (their authority's only).
    async fn regulator_cases(&self, caller: Caller) -> Result<RegulatorCases, PortalError>;

    /// One case of the regulator's authority; opening it is recorded.
    async fn regulator_case(
        &self,
        caller: Caller,
        id: String,
    ) -> Result<RegulatorCaseView, PortalError>;

    /// Aggregate statistics for `from`–`to` (`YYYY-MM-DD`, defaults: the last twelve months).
    async fn statistics(
        &self,
        caller: Caller,
        lang: Lang,
        from: Option<String>,
        to: Option<String>,
    ) -> Result<StatisticsPage, PortalError>;

    /// The access report form: the default period on the customer's calendar.
    async fn report_form(&self, caller: Caller) -> Result<ReportForm, PortalError>;

    /// The signed-in customer's notification settings.
    async fn notification_settings(
        &self,
        caller: Caller,
        lang: Lang,
    ) -> Result<NotificationSettings, PortalError>;

    async fn dispute(
        &self,
        caller: Caller,
        lang: Lang,
        reference: String,
    ) -> Result<DisputeDetail, PortalError>;

    async fn staff_queue(
        &self,
        caller: Caller,
        query: QueueQuery,
    ) -> Result<QueuePage, PortalError>;

    /// Opening a case is logged as an access to the customer's data.
    async fn staff_case(
        &self,
        caller: Caller,
        lang: Lang,
        reference: String,
    ) -> Result<CaseView, PortalError>;

    /// Admins only.
    async fn staff_accounts(&self, caller: Caller) -> Result<StaffAccounts, PortalError>;

    /// Admins only: ingest health, dead letters, unknown codes, feed tokens.
    async fn feed_admin(&self, caller: Caller) -> Result<FeedAdmin, PortalError>;

    /// The investigation queue: open cases, or `all`.
    async fn investigations(
        &self,
        caller: Caller,
        all: bool,
    ) -> Result<crate::dto::investigations::InvestigationQueue, PortalError>;

    /// One investigation; opening it is logged in each affected customer's timeline.
    async fn investigation(
        &self,
        caller: Caller,
        lang: Lang,
        reference: String,
    ) -> Result<crate::dto::investigations::InvestigationView, PortalError>;

    /// Admins only: the detection rules and which records explain which roles.
    async fn detection_settings(
        &self,
        caller: Caller,
        lang: Lang,
    ) -> Result<crate::dto::investigations::DetectionSettings, PortalError>;

    /// The ways in a sign-in page offers.
    fn sign_in_options(&self, staff: bool) -> SignInOptions;

    /// Whether the set-password link `token` is still usable.
    async fn password_link(&self, token: String) -> Result<PasswordLinkView, PortalError>;

    /// Admins only.
    async fn dead_letter(
        &self,
        caller: Caller,
        id: String,
    ) -> Result<DeadLetterDetail, PortalError>;
}

#[derive(Clone)]
pub struct PortalBackendHandle(pub Arc<dyn PortalBackend>);

/// Origins a sign-out may lead on to (the identity providers' logout), allowed as form targets in
/// the pages' Content-Security-Policy: browsers apply `form-action` to a form's redirects too.
#[derive(Clone, Debug, Default)]
pub struct SignOutTargets(pub Vec<String>);
