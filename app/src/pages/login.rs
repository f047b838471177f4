use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::site_header::{SiteFooter, SiteHeader};
use crate::current_lang;

/// The sign-in form. It posts to `POST /login` (fields `email`, `password`); the server answers
/// with a redirect, back here with `?error=…` when sign-in failed.
#[component]
pub fn LoginPage() -> impl IntoView {
    let texts = current_lang().texts();
    let query = use_query_map();
    let notice = move || {
        let query = query.read();
        match query.get("error").as_deref() {
            Some("invalid") => Some(("error", texts.login_invalid.to_owned())),
            Some("missing") => Some(("error", texts.login_missing_fields.to_owned())),
            _ => match query.get("notice").as_deref() {
                Some("session") => Some(("info", texts.session_expired.to_owned())),
                Some("signed_out") => Some(("info", texts.signed_out.to_owned())),
                _ => None,
            },
        }
    };
    let next = move || {
        query
            .read()
            .get("next")
            .filter(|n| n.starts_with('/') && !n.starts_with("//"))
    };

    view! {
        <Title text=texts.login_title />
        <SiteHeader />
        <main id="main" class="page narrow">
            <h1>{texts.login_title}</h1>
            <p class="lead">{texts.login_intro}</p>
            {move || {
                notice()
                    .map(|(kind, message)| {
                        let role = if kind == "error" { "alert" } else { "status" };
                        view! {
                            <p class=format!("notice notice-{kind}") role=role>
                                {message}
                            </p>
                        }
                    })
            }}
            <form method="post" action="/login" class="login-form">
                {move || next().map(|n| view! { <input type="hidden" name="next" value=n /> })}
                <label for="email">{texts.email_label}</label>
                <input
                    id="email"
                    name="email"
                    type="email"
                    autocomplete="username"
                    required
                    autofocus
                />
                <label for="password">{texts.password_label}</label>
                <input
                    id="password"
                    name="password"
                    type="password"
                    autocomplete="current-password"
                    required
                />
                <button type="submit" class="primary">{texts.login_button}</button>
            </form>
        </main>
        <SiteFooter />
    }
}
