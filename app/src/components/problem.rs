use leptos::prelude::*;

use crate::components::site_header::SiteHeader;
use crate::current_lang;
use crate::dto::PortalError;

/// A page that could not be shown, with the HTTP status that says why and a way on.
#[component]
pub fn ProblemState(
    problem: PortalError,
    #[prop(into)] back_href: String,
    #[prop(optional)] staff: bool,
) -> impl IntoView {
    let lang = current_lang();
    let texts = lang.texts();
    if problem == PortalError::LookNotConfirmed {
        return view! { <ConfirmLook staff /> }.into_any();
    }
    let (title, message) = match &problem {
        PortalError::NotFound => (texts.not_found_title, texts.not_found_body.to_owned()),
        PortalError::Forbidden => (
            lang.backoffice().forbidden_title,
            lang.backoffice().forbidden_body.to_owned(),
        ),
        PortalError::InvalidFilter { field } => (
            texts.error_title,
            texts.error_invalid_filter.replace("{field}", field),
        ),
        PortalError::InvalidCursor => (texts.error_title, texts.error_invalid_cursor.to_owned()),
        PortalError::NotSignedIn => (texts.error_title, texts.session_expired.to_owned()),
        PortalError::Unavailable | PortalError::LookNotConfirmed => {
            (texts.error_title, texts.error_unavailable.to_owned())
        }
    };
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_actix::ResponseOptions>() {
        use actix_web::http::StatusCode;
        response.set_status(match problem {
            PortalError::NotFound => StatusCode::NOT_FOUND,
            PortalError::Forbidden => StatusCode::FORBIDDEN,
            PortalError::NotSignedIn => StatusCode::UNAUTHORIZED,
            PortalError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        });
    }
    view! {
        <SiteHeader staff />
        <main id="main" class="page">
            <section class="error-state" role="alert">
                <h1>{title}</h1>
                <p>{message}</p>
                <p>
                    <a href=back_href class="button">{texts.to_start}</a>
                </p>
            </section>
        </main>
    }
    .into_any()
}

/// Instead of a customer's data: one click on this site opens (and logs) it.
#[component]
fn ConfirmLook(staff: bool) -> impl IntoView {
    let texts = current_lang().backoffice();
    let location = leptos_router::hooks::use_location();
    let here = move || {
        let search = location.search.get();
        if search.is_empty() {
            location.pathname.get()
        } else {
            format!("{}?{search}", location.pathname.get())
        }
    };
    view! {
        <SiteHeader staff />
        <main id="main" class="page narrow">
            <section class="error-state">
                <h1>{texts.confirm_look_title}</h1>
                <p>{texts.confirm_look_body}</p>
                <p>
                    // A real navigation: only a same-origin top-level request opens (and logs) the look.
                    <a href=here rel="external" class="button primary">{texts.confirm_look_button}</a>
                </p>
            </section>
        </main>
    }
}

/// A notice from the URL (`?notice=` or `?error=`), announced to screen readers.
#[component]
pub fn Notice(#[prop(into)] message: String, #[prop(optional)] error: bool) -> impl IntoView {
    let (class, role) = if error {
        ("notice notice-error", "alert")
    } else {
        ("notice notice-info", "status")
    };
    view! { <p class=class role=role>{message}</p> }
}
