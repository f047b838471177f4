use crate::components::page_title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::problem::Notice;
use crate::components::site_header::{SiteFooter, SiteHeader};
use crate::current_lang;
use crate::dto::SignInOptions;
use crate::server_fns::load_sign_in_options;

/// `/login`: the ways in that the retailer switched on (`EINBLICK_CUSTOMER_SIGN_IN`). The
/// password form posts to `POST /login` (fields `email`, `password`, `next`); the identity
/// provider's button leads to `GET /login/oidc`; customers of a shop with portal sessions are
/// told to come from the shop's account page.
#[component]
pub fn LoginPage() -> impl IntoView {
    let texts = current_lang().texts();
    let options = Resource::new(|| (), |_| load_sign_in_options(false));
    let loading = texts.loading;
    view! {
        <PageTitle text=texts.login_title />
        <SiteHeader />
        <main id="main" class="page narrow">
            <h1>{texts.login_title}</h1>
            <Suspense fallback=move || view! { <p class="loading" role="status">{loading}</p> }>
                {move || Suspend::new(async move {
                    let options = options.await.unwrap_or(SignInOptions {
                        password: true,
                        ..SignInOptions::default()
                    });
                    view! { <SignInWays options /> }
                })}
            </Suspense>
        </main>
        <SiteFooter />
    }
}

#[component]
fn SignInWays(options: SignInOptions) -> impl IntoView {
    let lang = current_lang();
    let texts = lang.texts();
    let account = lang.account();
    let query = use_query_map();
    let (error, notice, next) = {
        let q = query.read_untracked();
        (q.get("error"), q.get("notice"), q.get("next"))
    };
    let message = match error.as_deref() {
        Some("invalid") => Some((true, texts.login_invalid)),
        Some("missing") => Some((true, texts.login_missing_fields)),
        Some("passwords_off") => Some((true, account.way_not_offered)),
        _ => match notice.as_deref() {
            Some("session") => Some((false, texts.session_expired)),
            Some("signed_out") => Some((false, texts.signed_out)),
            Some("password_set") => Some((false, account.password_set)),
            _ => None,
        },
    };
    let next = next.filter(|n| n.starts_with('/') && !n.starts_with("//"));
    let provider_href = match &next {
        Some(n) => format!("/login/oidc?next={}", crate::dto::percent_encode(n)),
        None => "/login/oidc".to_owned(),
    };
    let only_from_shop = options.from_shop && !options.password && options.provider.is_none();
    view! {
        {(!only_from_shop).then(|| view! { <p class="lead">{texts.login_intro}</p> })}
        {message.map(|(error, message)| view! { <Notice message error /> })}
        {options.provider.clone().map(|name| view! {
            <p class="sign-in-provider">
                // rel="external": a server route; once hydrated, the router would take the
                // click for one of its pages and show "not found".
                <a href=provider_href rel="external" class="button primary">
                    {account.sign_in_with.replace("{provider}", &name)}
                </a>
            </p>
            {options.password.then(|| view! { <p class="sign-in-or">{account.or_with_password}</p> })}
        })}
        {options.password.then(|| view! {
            <form method="post" action="/login" class="login-form">
                {next.clone().map(|n| view! { <input type="hidden" name="next" value=n /> })}
                <label for="email">{texts.email_label}</label>
                <input id="email" name="email" type="email" autocomplete="username" required autofocus />
                <label for="password">{texts.password_label}</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required />
                <button type="submit" class="primary">{texts.login_button}</button>
            </form>
            <p class="small"><a href="/account/forgot-password">{account.forgot_link}</a></p>
        })}
        {options.from_shop.then(|| view! {
            <section class="from-shop" aria-labelledby="from-shop-heading">
                <h2 id="from-shop-heading">{account.from_shop_title}</h2>
                <p>{account.from_shop_body}</p>
            </section>
        })}
    }
}
