//! What the UI needs from the server, as a trait the server implements (the arrow points
//! `server -> app`). Provided to the app through context as a [`PortalBackendHandle`].

use std::sync::Arc;

use crate::dto::{PortalError, TimelinePage, TimelineQuery};
use crate::i18n::Lang;

#[async_trait::async_trait]
pub trait PortalBackend: Send + Sync + 'static {
    /// One page of the signed-in customer's timeline. `session_token` is the raw cookie value.
    async fn timeline(
        &self,
        session_token: Option<String>,
        lang: Lang,
        query: TimelineQuery,
    ) -> Result<TimelinePage, PortalError>;
}

#[derive(Clone)]
pub struct PortalBackendHandle(pub Arc<dyn PortalBackend>);
