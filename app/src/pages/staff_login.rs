use crate::components::page_title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::problem::Notice;
use crate::components::site_header::{SiteFooter, SiteHeader};
use crate::current_lang;
use crate::dto::SignInOptions;
use crate::server_fns::load_sign_in_options;

/// `/staff/login`: the back office's own sign-in. "Sign in with <provider>" leads to
/// `GET /staff/login/sso` when single sign-on is set up; the password form posts to
/// `POST /staff/login` (fields `email`, `password`) unless `EINBLICK_STAFF_PASSWORDS=false`.
#[component]
pub fn StaffLoginPage() -> impl IntoView {
    let lang = current_lang();
    let staff = lang.backoffice();
    let options = Resource::new(|| (), |_| load_sign_in_options(true));
    let loading = lang.texts().loading;
    view! {
        <PageTitle text=staff.login_title />
        <SiteHeader staff=true />
        <main id="main" class="page narrow">
            <h1>{staff.login_title}</h1>
            <p class="lead">{staff.login_intro}</p>
            <Suspense fallback=move || view! { <p class="loading" role="status">{loading}</p> }>
                {move || Suspend::new(async move {
                    let options = options.await.unwrap_or(SignInOptions {
                        password: true,
                        ..SignInOptions::default()
                    });
                    view! { <StaffSignInWays options /> }
                })}
            </Suspense>
        </main>
        <SiteFooter />
    }
}

#[component]
fn StaffSignInWays(options: SignInOptions) -> impl IntoView {
    let lang = current_lang();
    let texts = lang.texts();
    let account = lang.account();
    let query = use_query_map();
    let (error, notice) = {
        let q = query.read_untracked();
        (q.get("error"), q.get("notice"))
    };
    let message = match error.as_deref() {
        Some("invalid") => Some((true, texts.login_invalid)),
        Some("missing") => Some((true, texts.login_missing_fields)),
        Some("passwords_off") => Some((true, account.staff_passwords_off)),
        _ => match notice.as_deref() {
            Some("session") => Some((false, texts.session_expired)),
            Some("signed_out") => Some((false, texts.signed_out)),
            _ => None,
        },
    };
    view! {
        {message.map(|(error, message)| view! { <Notice message error /> })}
        {options.provider.clone().map(|name| view! {
            <p class="sign-in-provider">
                <a href="/staff/login/sso" rel="external" class="button primary">
                    {account.sign_in_with.replace("{provider}", &name)}
                </a>
            </p>
            {options.password.then(|| view! { <p class="sign-in-or">{account.or_with_password}</p> })}
        })}
        {options.password.then(|| view! {
            <form method="post" action="/staff/login" class="login-form">
                <label for="email">{texts.email_label}</label>
                <input id="email" name="email" type="email" autocomplete="username" required autofocus />
                <label for="password">{texts.password_label}</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required />
                <button type="submit" class="primary">{texts.login_button}</button>
            </form>
        })}
    }
}
