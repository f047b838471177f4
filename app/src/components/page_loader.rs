use leptos::prelude::*;
use leptos_router::components::Redirect;
use serde::{de::DeserializeOwned, Serialize};

use crate::components::problem::ProblemState;
use crate::current_lang;
use crate::dto::PortalError;

/// What a page's server function answers: transport error outside, a person's error inside.
pub type Loaded<T> = Result<Result<T, PortalError>, ServerFnError>;

/// The states every data page shares: loading, signed out (off to `login_path`), a problem with
/// its HTTP status, and the page itself once `resource` is there.
pub fn page_loader<T, V>(
    resource: Resource<Loaded<T>>,
    login_path: String,
    back_href: &'static str,
    staff: bool,
    render: impl Fn(T) -> V + Clone + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    V: IntoView + 'static,
{
    let loading = current_lang().texts().loading;
    view! {
        <Suspense fallback=move || view! { <p class="loading" role="status">{loading}</p> }>
            {move || {
                let (render, login_path) = (render.clone(), login_path.clone());
                Suspend::new(async move {
                    match resource.await {
                        Ok(Ok(data)) => render(data).into_any(),
                        Ok(Err(PortalError::NotSignedIn)) => {
                            view! { <Redirect path=login_path /> }.into_any()
                        }
                        Ok(Err(problem)) => {
                            view! { <ProblemState problem back_href staff /> }.into_any()
                        }
                        Err(_) => {
                            view! { <ProblemState problem=PortalError::Unavailable back_href staff /> }
                                .into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}
