use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::current_lang;
use crate::dto::Viewer;
use crate::i18n::Lang;

/// The top bar: product name, language switch and, when signed in, the sign-out button.
/// Both controls are plain forms so they work without JavaScript.
#[component]
pub fn SiteHeader(
    /// The signed-in staff member's name, as shown.
    #[prop(optional, into)]
    signed_in_as: Option<String>,
    /// The signed-in customer.
    #[prop(optional, into)]
    viewer: Option<Viewer>,
    /// The back office's header: its own home and sign-out.
    #[prop(optional)]
    staff: bool,
    /// The signed-in staff member's role: which back office pages the navigation offers.
    #[prop(optional, into)]
    staff_role: Option<String>,
) -> impl IntoView {
    let lang = current_lang();
    let texts = lang.texts();
    let disputes = lang.disputes();
    let (home, logout, tagline) = if staff {
        ("/staff", "/staff/logout", lang.backoffice().area_name)
    } else {
        ("/timeline", "/logout", texts.tagline)
    };
    let admin = lang.admin();
    let staff_nav = staff_role.map(|role| {
        let links: Vec<(&str, &str)> = match role.as_str() {
            "admin" => vec![("/staff/admin/feed", admin.nav_feed), ("/staff/admin/staff", admin.nav_staff), ("/staff/admin/detection", admin.nav_detection)],
            "privacy_analyst" => vec![("/staff", admin.nav_queue), ("/staff/investigations", lang.explanations().nav_investigations)],
            "privacy_lead" => vec![("/staff", admin.nav_queue), ("/staff/investigations", lang.explanations().nav_investigations), ("/staff/statistics", lang.statistics().nav_statistics)],
            "regulator" => vec![("/staff/regulator", lang.regulator().nav_cases), ("/staff/statistics", lang.statistics().nav_statistics)],
            _ => Vec::new(),
        };
        view! {
            <nav class="main-nav" aria-label=lang.backoffice().area_name>
                {links.into_iter().map(|(href, label)| view! { <a href=href>{label}</a> }).collect_view()}
            </nav>
        }
    });
    let account_url = viewer.as_ref().and_then(|v| v.account_url.clone());
    let signed_in_as = signed_in_as.or_else(|| viewer.as_ref().map(|v| v.name.clone()));
    let customer_nav = (viewer.is_some() && !staff).then(|| {
        view! {
            <nav class="main-nav" aria-label=texts.app_name>
                <a href="/timeline">{disputes.nav_timeline}</a>
                <a href="/disputes">{disputes.nav_disputes}</a>
                <a href="/reports">{lang.reports().nav_report}</a>
                <a href="/settings/notifications">{lang.notifications().nav_settings}</a>
                {account_url
                    .map(|url| {
                        view! {
                            <a href=url class="back-to-shop" rel="noopener">
                                <span aria-hidden="true">"← "</span>
                                {lang.account().back_to_account}
                            </a>
                        }
                    })}
            </nav>
        }
    });
    let location = use_location();
    let return_to = move || {
        let search = location.search.get();
        match search.as_str() {
            "" => location.pathname.get(),
            s if s.starts_with('?') => format!("{}{s}", location.pathname.get()),
            s => format!("{}?{s}", location.pathname.get()),
        }
    };

    view! {
        <header class="site-header">
            <a class="brand" href=home>
                <span class="brand-name">{texts.app_name}</span>
                <span class="brand-tagline">{tagline}</span>
            </a>
            {customer_nav}
            {staff_nav}
            <nav class="header-actions" aria-label=texts.switch_language>
                <form method="post" action="/language" class="lang-switch">
                    <input type="hidden" name="return_to" value=return_to />
                    <span class="visually-hidden">{texts.language_label}</span>
                    {Lang::ALL
                        .into_iter()
                        .map(|option| {
                            let current = option == lang;
                            view! {
                                <button
                                    type="submit"
                                    name="lang"
                                    value=option.code()
                                    lang=option.code()
                                    class:current=current
                                    aria-pressed=if current { "true" } else { "false" }
                                >
                                    {option.endonym()}
                                </button>
                            }
                        })
                        .collect_view()}
                </form>
                {signed_in_as
                    .map(|name| {
                        view! {
                            <form method="post" action=logout class="sign-out">
                                <span class="signed-in-as">
                                    <span class="visually-hidden">{texts.signed_in_as} " "</span>
                                    {name}
                                </span>
                                <button type="submit">{texts.sign_out}</button>
                            </form>
                        }
                    })}
            </nav>
        </header>
    }
    // Erased: the header sits in every page's view type, and without this the deepest pages'
    // types exceed the compiler's query depth in release builds.
    .into_any()
}

#[component]
pub fn SiteFooter() -> impl IntoView {
    let texts = current_lang().texts();
    view! {
        <footer class="site-footer">
            <p>{texts.footer_note}</p>
        </footer>
    }
}
