//! Server functions: the browser calls them over HTTP, server rendering calls them directly.

use leptos::prelude::*;

use crate::dto::{PortalError, TimelinePage, TimelineQuery};

/// The signed-in customer's timeline. The outer error is transport, the inner one is for people.
#[server(prefix = "/rpc", endpoint = "timeline")]
pub async fn load_timeline(
    query: TimelineQuery,
) -> Result<Result<TimelinePage, PortalError>, ServerFnError> {
    use crate::backend::PortalBackendHandle;
    use crate::dto::SESSION_COOKIE;

    let backend = use_context::<PortalBackendHandle>()
        .ok_or_else(|| ServerFnError::new("portal backend is not configured"))?;
    let request = use_context::<leptos_actix::Request>()
        .ok_or_else(|| ServerFnError::new("no request in context"))?;
    let token = request.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
    let lang = crate::lang_of_request(&request);
    Ok(backend.0.timeline(token, lang, query).await)
}
