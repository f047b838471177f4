use crate::components::page_title::PageTitle;
use leptos::prelude::*;

use crate::components::site_header::{SiteFooter, SiteHeader};
use crate::current_lang;

#[component]
pub fn NotFound() -> impl IntoView {
    let texts = current_lang().texts();
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_actix::ResponseOptions>() {
        response.set_status(actix_web::http::StatusCode::NOT_FOUND);
    }
    view! {
        <PageTitle text=texts.not_found_title />
        <SiteHeader />
        <main id="main" class="page narrow">
            <h1>{texts.not_found_title}</h1>
            <p>{texts.not_found_body}</p>
            <p>
                <a href="/timeline">{texts.to_start}</a>
            </p>
        </main>
        <SiteFooter />
    }
}
