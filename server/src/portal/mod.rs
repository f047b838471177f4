//! The customer portal's data, served to the Leptos app through `app::backend::PortalBackend`.

pub mod labels;
pub mod timeline;

use app::backend::PortalBackend;
use app::dto::{PortalError, TimelinePage, TimelineQuery};
use app::i18n::Lang;

use crate::http::AppState;

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
        timeline::load_page(&self.state, session_token, lang, query)
            .await
            .map_err(PortalError::from)
    }
}
