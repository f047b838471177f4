//! Setting a password: asking for a link (`/account/forgot-password`) and using it
//! (`/account/set-password/:token`). Both are plain forms, so they work without JavaScript.

use crate::components::page_title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::problem::Notice;
use crate::components::site_header::{SiteFooter, SiteHeader};
use crate::current_lang;
use crate::dto::{PasswordLinkView, SignInOptions};
use crate::server_fns::{load_password_link, load_sign_in_options};

/// `/account/forgot-password`: posts `email` to `POST /account/forgot-password`. The answer is
/// the same whether or not an account has the address.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let lang = current_lang();
    let account = lang.account();
    let texts = lang.texts();
    let options = Resource::new(|| (), |_| load_sign_in_options(false));
    let query = use_query_map();
    let (sent, error) = {
        let q = query.read_untracked();
        (q.get("sent").is_some(), q.get("error"))
    };
    let loading = texts.loading;
    view! {
        <PageTitle text=account.forgot_title />
        <SiteHeader />
        <main id="main" class="page narrow">
            <h1>{account.forgot_title}</h1>
            <Suspense fallback=move || view! { <p class="loading" role="status">{loading}</p> }>
                {move || {
                    let error = error.clone();
                    Suspend::new(async move {
                        let options = options.await.unwrap_or(SignInOptions {
                            password: true,
                            ..SignInOptions::default()
                        });
                        if !options.password || error.as_deref() == Some("unavailable") {
                            return view! { <Notice message=account.forgot_unavailable error=true /> }.into_any();
                        }
                        if sent {
                            return view! { <Notice message=account.forgot_sent /> }.into_any();
                        }
                        view! {
                            <p class="lead">{account.forgot_intro}</p>
                            {(error.as_deref() == Some("invalid")).then(|| view! { <Notice message=account.invalid_email error=true /> })}
                            <form method="post" action="/account/forgot-password" class="login-form">
                                <label for="email">{texts.email_label}</label>
                                <input id="email" name="email" type="email" autocomplete="username" required autofocus />
                                <button type="submit" class="primary">{account.forgot_button}</button>
                            </form>
                        }
                        .into_any()
                    })
                }}
            </Suspense>
            <p><a href="/login">{account.back_to_sign_in}</a></p>
        </main>
        <SiteFooter />
    }
}

/// `/account/set-password/:token`: posts `token`, `password` and `password_confirm` to
/// `POST /account/set-password`.
#[component]
pub fn SetPasswordPage() -> impl IntoView {
    let lang = current_lang();
    let account = lang.account();
    let params = use_params_map();
    let token = Memo::new(move |_| params.read().get("token").unwrap_or_default());
    let link = Resource::new(move || token.get(), load_password_link);
    let loading = lang.texts().loading;
    view! {
        <PageTitle text=account.set_title_reset />
        <SiteHeader />
        <main id="main" class="page narrow">
            <Suspense fallback=move || view! { <p class="loading" role="status">{loading}</p> }>
                {move || Suspend::new(async move {
                    match link.await {
                        Ok(Ok(view)) if view.usable => {
                            view! { <SetPasswordForm link=view token=token.get_untracked() /> }.into_any()
                        }
                        _ => view! {
                            <h1>{account.link_spent_title}</h1>
                            <p>{account.link_spent_body}</p>
                            <p><a href="/account/forgot-password" class="button">{account.forgot_button}</a></p>
                        }
                        .into_any(),
                    }
                })}
            </Suspense>
        </main>
        <SiteFooter />
    }
}

#[component]
fn SetPasswordForm(link: PasswordLinkView, token: String) -> impl IntoView {
    let account = current_lang().account();
    let query = use_query_map();
    let error = query.read_untracked().get("error");
    let message = error
        .as_deref()
        .and_then(|code| account.password_error(code));
    let title = if link.invitation {
        account.set_title_invitation
    } else {
        account.set_title_reset
    };
    view! {
        <h1>{title}</h1>
        <p class="lead">{account.set_intro}</p>
        {message.map(|m| view! { <Notice message=m error=true /> })}
        <form method="post" action="/account/set-password" class="login-form">
            <input type="hidden" name="token" value=token />
            <label for="password">{account.new_password_label}</label>
            <p class="small" id="password-hint">{account.new_password_hint}</p>
            <input id="password" name="password" type="password" autocomplete="new-password" required minlength="12" maxlength="128" aria-describedby="password-hint" aria-invalid=message.map(|_| "true") autofocus />
            <label for="password_confirm">{account.confirm_password_label}</label>
            <input id="password_confirm" name="password_confirm" type="password" autocomplete="new-password" required minlength="12" maxlength="128" />
            <button type="submit" class="primary">{account.set_button}</button>
        </form>
    }
}
