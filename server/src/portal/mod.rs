//! The portal's data, served to the Leptos app through `app::backend::PortalBackend`.

pub mod labels;
pub mod timeline;

use app::backend::PortalBackend;
use app::dto::admin::{DeadLetterDetail, FeedAdmin, StaffAccounts};
use app::dto::backoffice::{CaseView, QueuePage, QueueQuery};
use app::dto::disputes::{DisputeDetail, DisputeDraft, MyDisputes};
use app::dto::regulator::{RegulatorCaseView, RegulatorCases};
use app::dto::reports::ReportForm;
use app::dto::statistics::StatisticsPage;
use app::dto::{PortalError, TimelinePage, TimelineQuery};
use app::i18n::Lang;

use crate::http::AppState;
use crate::{backoffice, disputes, regulators, reports, statistics};

pub struct Portal {
    state: AppState,
}

impl Portal {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[async_trait::async_trait]
impl PortalBackend for Portal {
    async fn timeline(
        &self,
        session_token: Option<String>,
        lang: Lang,
        query: TimelineQuery,
    ) -> Result<TimelinePage, PortalError> {
        Ok(timeline::load_page(&self.state, session_token, lang, query).await?)
    }

    async fn dispute_draft(
        &self,
        session_token: Option<String>,
        lang: Lang,
        event_ids: Vec<String>,
    ) -> Result<DisputeDraft, PortalError> {
        Ok(disputes::view::draft(&self.state, session_token, lang, event_ids).await?)
    }

    async fn my_disputes(&self, session_token: Option<String>) -> Result<MyDisputes, PortalError> {
        Ok(disputes::view::list(&self.state, session_token).await?)
    }

    async fn dispute(
        &self,
        session_token: Option<String>,
        lang: Lang,
        reference: String,
    ) -> Result<DisputeDetail, PortalError> {
        Ok(disputes::view::detail(&self.state, session_token, lang, reference).await?)
    }

    async fn regulator_cases(
        &self,
        staff_token: Option<String>,
    ) -> Result<RegulatorCases, PortalError> {
        Ok(regulators::view::list(&self.state, staff_token).await?)
    }

    async fn regulator_case(
        &self,
        staff_token: Option<String>,
        id: String,
    ) -> Result<RegulatorCaseView, PortalError> {
        Ok(regulators::view::case(&self.state, staff_token, id).await?)
    }

    async fn statistics(
        &self,
        staff_token: Option<String>,
        lang: Lang,
        from: Option<String>,
        to: Option<String>,
    ) -> Result<StatisticsPage, PortalError> {
        Ok(statistics::view::load(&self.state, staff_token, lang, from, to).await?)
    }

    async fn report_form(&self, session_token: Option<String>) -> Result<ReportForm, PortalError> {
        Ok(reports::form::load(&self.state, session_token).await?)
    }

    async fn staff_queue(
        &self,
        staff_token: Option<String>,
        query: QueueQuery,
    ) -> Result<QueuePage, PortalError> {
        Ok(backoffice::queue::load(&self.state, staff_token, query).await?)
    }

    async fn staff_case(
        &self,
        staff_token: Option<String>,
        lang: Lang,
        reference: String,
    ) -> Result<CaseView, PortalError> {
        Ok(backoffice::case::load(&self.state, staff_token, lang, reference).await?)
    }

    async fn staff_accounts(
        &self,
        staff_token: Option<String>,
    ) -> Result<StaffAccounts, PortalError> {
        Ok(backoffice::staff_accounts::load(&self.state, staff_token).await?)
    }

    async fn feed_admin(&self, staff_token: Option<String>) -> Result<FeedAdmin, PortalError> {
        Ok(backoffice::feed_admin::load(&self.state, staff_token).await?)
    }

    async fn dead_letter(
        &self,
        staff_token: Option<String>,
        id: String,
    ) -> Result<DeadLetterDetail, PortalError> {
        Ok(backoffice::feed_admin::load_dead_letter(&self.state, staff_token, id).await?)
    }
}
