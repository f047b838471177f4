//! What the UI needs from the server, as a trait the server implements (the arrow points
//! `server -> app`). Provided to the app through context as a [`PortalBackendHandle`].
//! `session_token` and `staff_token` are the raw cookie values.

use std::sync::Arc;

use crate::dto::admin::{DeadLetterDetail, FeedAdmin, StaffAccounts};
use crate::dto::backoffice::{CaseView, QueuePage, QueueQuery};
use crate::dto::disputes::{DisputeDetail, DisputeDraft, MyDisputes};
use crate::dto::regulator::{RegulatorCaseView, RegulatorCases};
use crate::dto::reports::ReportForm;
use crate::dto::statistics::StatisticsPage;
use crate::dto::{PortalError, TimelinePage, TimelineQuery};
use crate::i18n::Lang;

#[async_trait::async_trait]
pub trait PortalBackend: Send + Sync + 'static {
    /// One page of the signed-in customer's timeline.
    async fn timeline(
        &self,
        session_token: Option<String>,
        lang: Lang,
        query: TimelineQuery,
    ) -> Result<TimelinePage, PortalError>;

    /// The dispute form for these timeline entries (ids not the customer's are left out).
    async fn dispute_draft(
        &self,
        session_token: Option<String>,
        lang: Lang,
        event_ids: Vec<String>,
    ) -> Result<DisputeDraft, PortalError>;

    async fn my_disputes(&self, session_token: Option<String>) -> Result<MyDisputes, PortalError>;

    /// The signed-in regulator's cases (their authority's only).
    async fn regulator_cases(
        &self,
        staff_token: Option<String>,
    ) -> Result<RegulatorCases, PortalError>;

    /// One case of the regulator's authority; opening it is recorded.
    async fn regulator_case(
        &self,
        staff_token: Option<String>,
        id: String,
    ) -> Result<RegulatorCaseView, PortalError>;

    /// Aggregate statistics for `from`–`to` (`YYYY-MM-DD`, defaults: the last twelve months).
    async fn statistics(
        &self,
        staff_token: Option<String>,
        lang: Lang,
        from: Option<String>,
        to: Option<String>,
    ) -> Result<StatisticsPage, PortalError>;

    /// The access report form: the default period on the customer's calendar.
    async fn report_form(&self, session_token: Option<String>) -> Result<ReportForm, PortalError>;

    async fn dispute(
        &self,
        session_token: Option<String>,
        lang: Lang,
        reference: String,
    ) -> Result<DisputeDetail, PortalError>;

    async fn staff_queue(
        &self,
        staff_token: Option<String>,
        query: QueueQuery,
    ) -> Result<QueuePage, PortalError>;

    /// Opening a case is logged as an access to the customer's data.
    async fn staff_case(
        &self,
        staff_token: Option<String>,
        lang: Lang,
        reference: String,
    ) -> Result<CaseView, PortalError>;

    /// Admins only.
    async fn staff_accounts(
        &self,
        staff_token: Option<String>,
    ) -> Result<StaffAccounts, PortalError>;

    /// Admins only: ingest health, dead letters, unknown codes, feed tokens.
    async fn feed_admin(&self, staff_token: Option<String>) -> Result<FeedAdmin, PortalError>;

    /// Admins only.
    async fn dead_letter(
        &self,
        staff_token: Option<String>,
        id: String,
    ) -> Result<DeadLetterDetail, PortalError>;
}

#[derive(Clone)]
pub struct PortalBackendHandle(pub Arc<dyn PortalBackend>);
