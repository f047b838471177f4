use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::problem::Notice;
use crate::components::site_header::{SiteFooter, SiteHeader};
use crate::current_lang;

/// `/staff/login`: the back office's own sign-in. Posts to `POST /staff/login`
/// (fields `email`, `password`).
#[component]
pub fn StaffLoginPage() -> impl IntoView {
    let lang = current_lang();
    let texts = lang.texts();
    let staff = lang.backoffice();
    let query = use_query_map();
    let notice = move || {
        let query = query.read();
        match query.get("error").as_deref() {
            Some("invalid") => Some((true, texts.login_invalid.to_owned())),
            Some("missing") => Some((true, texts.login_missing_fields.to_owned())),
            _ => match query.get("notice").as_deref() {
                Some("session") => Some((false, texts.session_expired.to_owned())),
                Some("signed_out") => Some((false, texts.signed_out.to_owned())),
                _ => None,
            },
        }
    };
    view! {
        <Title text=staff.login_title />
        <SiteHeader staff=true />
        <main id="main" class="page narrow">
            <h1>{staff.login_title}</h1>
            <p class="lead">{staff.login_intro}</p>
            {move || notice().map(|(error, message)| view! { <Notice message error /> })}
            <form method="post" action="/staff/login" class="login-form">
                <label for="email">{texts.email_label}</label>
                <input id="email" name="email" type="email" autocomplete="username" required autofocus />
                <label for="password">{texts.password_label}</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required />
                <button type="submit" class="primary">{texts.login_button}</button>
            </form>
        </main>
        <SiteFooter />
    }
}
