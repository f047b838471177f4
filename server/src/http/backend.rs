//! The Leptos app's view of the server: `app::backend::PortalBackend`, answered by the features.
//! Each call resolves who is asking with the same extractors' code the HTTP handlers use.

use app::backend::{Caller, PortalBackend};
use app::dto::admin::{DeadLetterDetail, FeedAdmin, StaffAccounts};
use app::dto::backoffice::{CaseView, QueuePage, QueueQuery};
use app::dto::disputes::{DisputeDetail, DisputeDraft, MyDisputes};
use app::dto::regulator::{RegulatorCaseView, RegulatorCases};
use app::dto::reports::ReportForm;
use app::dto::statistics::StatisticsPage;
use app::dto::{PasswordLinkView, PortalError, SignInOptions, TimelinePage, TimelineQuery};
use app::i18n::Lang;

use crate::auth::staff_session::Permission;
use crate::auth::{CustomerSession, StaffSession};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::client::deliberate_look;
use crate::{backoffice, disputes, portal, regulators, reports, statistics};

pub struct Portal {
    state: AppState,
}

impl Portal {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    async fn customer(&self, caller: &Caller) -> Result<CustomerSession, AppError> {
        CustomerSession::resolve(&self.state, caller).await
    }

    async fn staff<P: Permission>(&self, caller: &Caller) -> Result<StaffSession<P>, AppError> {
        StaffSession::resolve(&self.state, caller).await
    }
}

#[async_trait::async_trait]
impl PortalBackend for Portal {
    async fn timeline(
        &self,
        caller: Caller,
        lang: Lang,
        query: TimelineQuery,
    ) -> Result<TimelinePage, PortalError> {
        Ok(portal::timeline::load_page_for(&self.state, &caller, lang, query).await?)
    }

    async fn dispute_draft(
        &self,
        caller: Caller,
        lang: Lang,
        event_ids: Vec<String>,
    ) -> Result<DisputeDraft, PortalError> {
        let session = self.customer(&caller).await?;
        Ok(disputes::view::draft(&self.state, session, lang, event_ids).await?)
    }

    async fn my_disputes(&self, caller: Caller) -> Result<MyDisputes, PortalError> {
        let session = self.customer(&caller).await?;
        Ok(disputes::view::list(&self.state, session).await?)
    }

    async fn dispute(
        &self,
        caller: Caller,
        lang: Lang,
        reference: String,
    ) -> Result<DisputeDetail, PortalError> {
        let session = self.customer(&caller).await?;
        Ok(disputes::view::detail(&self.state, session, lang, reference).await?)
    }

    async fn regulator_cases(&self, caller: Caller) -> Result<RegulatorCases, PortalError> {
        let session = self.staff(&caller).await?;
        Ok(regulators::view::list(&self.state, session).await?)
    }

    async fn regulator_case(
        &self,
        caller: Caller,
        id: String,
    ) -> Result<RegulatorCaseView, PortalError> {
        let session = self.staff(&caller).await?;
        let look = deliberate_look(&caller)?;
        Ok(regulators::view::case(&self.state, session, id, look).await?)
    }

    async fn statistics(
        &self,
        caller: Caller,
        lang: Lang,
        from: Option<String>,
        to: Option<String>,
    ) -> Result<StatisticsPage, PortalError> {
        let session = self.staff(&caller).await?;
        Ok(statistics::view::load(&self.state, session, lang, from, to).await?)
    }

    async fn report_form(&self, caller: Caller) -> Result<ReportForm, PortalError> {
        let session = self.customer(&caller).await?;
        Ok(reports::form::load(session))
    }

    async fn notification_settings(
        &self,
        caller: Caller,
        lang: Lang,
    ) -> Result<app::dto::notifications::NotificationSettings, PortalError> {
        let session = self.customer(&caller).await?;
        Ok(crate::notifications::preferences::load(&self.state, session, lang).await?)
    }

    async fn staff_queue(
        &self,
        caller: Caller,
        query: QueueQuery,
    ) -> Result<QueuePage, PortalError> {
        let session = self.staff(&caller).await?;
        Ok(backoffice::queue::load(&self.state, session, query).await?)
    }

    async fn staff_case(
        &self,
        caller: Caller,
        lang: Lang,
        reference: String,
    ) -> Result<CaseView, PortalError> {
        let session = self.staff(&caller).await?;
        let look = deliberate_look(&caller)?;
        Ok(backoffice::case::load(&self.state, session, lang, reference, look).await?)
    }

    async fn investigations(
        &self,
        caller: Caller,
        all: bool,
    ) -> Result<app::dto::investigations::InvestigationQueue, PortalError> {
        let session = self.staff(&caller).await?;
        Ok(backoffice::investigations::load_queue(&self.state, session, all).await?)
    }

    async fn investigation(
        &self,
        caller: Caller,
        lang: Lang,
        reference: String,
    ) -> Result<app::dto::investigations::InvestigationView, PortalError> {
        let session = self.staff(&caller).await?;
        let look = deliberate_look(&caller)?;
        Ok(
            backoffice::investigations::load_case(&self.state, session, lang, reference, look)
                .await?,
        )
    }

    async fn detection_settings(
        &self,
        caller: Caller,
        lang: Lang,
    ) -> Result<app::dto::investigations::DetectionSettings, PortalError> {
        let session = self.staff(&caller).await?;
        Ok(backoffice::detection::load(&self.state, session, lang).await?)
    }

    async fn staff_accounts(&self, caller: Caller) -> Result<StaffAccounts, PortalError> {
        let session = self.staff(&caller).await?;
        Ok(backoffice::staff_accounts::load(&self.state, session).await?)
    }

    async fn feed_admin(&self, caller: Caller) -> Result<FeedAdmin, PortalError> {
        let session = self.staff(&caller).await?;
        Ok(backoffice::feed_admin::load(&self.state, session).await?)
    }

    fn sign_in_options(&self, staff: bool) -> SignInOptions {
        let settings = &self.state.settings;
        if staff {
            return SignInOptions {
                password: settings.staff_passwords,
                provider: settings
                    .staff_sso
                    .as_ref()
                    .map(|sso| sso.oidc.provider_name.clone()),
                from_shop: false,
            };
        }
        let ways = settings.customer_sign_in;
        SignInOptions {
            password: ways.password,
            provider: settings
                .customer_oidc
                .as_ref()
                .filter(|_| ways.oidc)
                .map(|oidc| oidc.oidc.provider_name.clone()),
            from_shop: ways.portal,
        }
    }

    async fn password_link(&self, token: String) -> Result<PasswordLinkView, PortalError> {
        Ok(crate::accounts::password_links::view(&self.state, token).await?)
    }

    async fn dead_letter(
        &self,
        caller: Caller,
        id: String,
    ) -> Result<DeadLetterDetail, PortalError> {
        let session = self.staff(&caller).await?;
        Ok(backoffice::feed_admin::load_dead_letter(&self.state, session, id).await?)
    }
}
