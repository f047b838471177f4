use crate::components::page_title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::page_loader::page_loader;
use crate::components::problem::Notice;
use crate::components::site_header::{SiteFooter, SiteHeader};
use crate::current_lang;
use crate::dto::notifications::NotificationSettings;
use crate::server_fns::load_notification_settings;

/// The modes in the order offered.
const MODES: [&str; 4] = ["every_access", "unexplained_only", "weekly_digest", "off"];

/// `/settings/notifications`: when the customer is emailed about accesses. A plain form posted
/// to the same address, so it works without JavaScript.
#[component]
pub fn NotificationSettingsPage() -> impl IntoView {
    let lang = current_lang();
    let settings = Resource::new(|| (), |_| load_notification_settings());
    view! {
        <PageTitle text=lang.notifications().title />
        {page_loader(settings, "/login?notice=session&next=/settings/notifications".into(), "/timeline", false, |settings| view! { <SettingsForm settings /> })}
        <SiteFooter />
    }
}

#[component]
fn SettingsForm(settings: NotificationSettings) -> impl IntoView {
    let lang = current_lang();
    let texts = lang.notifications();
    let query = use_query_map();
    let (notice, error) = {
        let q = query.read_untracked();
        (q.get("notice"), q.get("error"))
    };
    let notice = notice.and_then(|code| match code.as_str() {
        "saved" => Some(texts.saved),
        "unsubscribed" => Some(texts.unsubscribed),
        _ => None,
    });
    let error = error.as_deref().and_then(|code| texts.error_message(code));
    let hint = |code: &str| match code {
        "every_access" => texts.every_access_hint,
        "unexplained_only" => texts.unexplained_only_hint,
        "off" => texts.off_hint,
        _ => texts.weekly_digest_hint,
    };
    let current = settings.mode.clone();
    let always = settings.always.clone();
    view! {
        <SiteHeader viewer=settings.viewer.clone() />
        <main id="main" class="page narrow">
            <h1>{texts.title}</h1>
            <p class="lead">{texts.intro}</p>
            {notice.map(|message| view! { <Notice message /> })}
            {error.map(|message| view! { <Notice message error=true /> })}
            {match settings.email.clone() {
                Some(email) => view! { <p class="small">{texts.sent_to} " " <strong>{email}</strong></p> }.into_any(),
                None => view! { <Notice message=texts.no_email error=true /> }.into_any(),
            }}
            <form method="post" action="/settings/notifications" class="settings-form">
                <fieldset>
                    <legend>{texts.mode_legend}</legend>
                    {MODES
                        .into_iter()
                        .map(|code| {
                            let id = format!("mode-{code}");
                            let hint_id = format!("{id}-hint");
                            view! {
                                <div class="choice choice-described">
                                    <input type="radio" id=id.clone() name="mode" value=code checked=code == current aria-describedby=hint_id.clone() />
                                    <label for=id>
                                        {texts.mode_label(code)}
                                        {(code == "weekly_digest").then(|| view! { " " <span class="badge">{texts.default_badge}</span> })}
                                    </label>
                                    <p class="choice-hint small" id=hint_id>{hint(code)}</p>
                                </div>
                            }
                        })
                        .collect_view()}
                    <p class="small">{texts.window_hint.replace("{minutes}", &settings.window_minutes.to_string())}</p>
                    <div class="choice">
                        <input type="checkbox" id="quiet_weeks" name="quiet_weeks" value="on" checked=settings.quiet_weeks />
                        <label for="quiet_weeks">{texts.quiet_weeks}</label>
                    </div>
                </fieldset>
                <fieldset>
                    <legend>{texts.always_legend}</legend>
                    <p class="small" id="always-hint">{texts.always_hint}</p>
                    <div class="choice-grid">
                        {settings
                            .categories
                            .iter()
                            .map(|category| {
                                let id = format!("always-{}", category.code);
                                view! {
                                    <div class="choice">
                                        <input type="checkbox" id=id.clone() name="always_category" value=category.code.clone() checked=always.contains(&category.code) aria-describedby="always-hint" />
                                        <label for=id>{category.label.clone()}</label>
                                    </div>
                                }
                            })
                            .collect_view()}
                    </div>
                </fieldset>
                <div class="form-actions">
                    <button type="submit" class="primary">{texts.save}</button>
                </div>
                <p class="small">
                    {match settings.changed_at.clone() {
                        Some(at) => format!("{} {at}", texts.changed_at),
                        None => texts.never_changed.to_owned(),
                    }}
                </p>
            </form>
        </main>
    }
}
