//! Einblick's user interface: server-rendered by `server`, hydrated in the browser.
//! Everything that touches data or secrets sits behind the `ssr` feature.

pub mod components;
pub mod dto;
pub mod i18n;
pub mod pages;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod backend;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags};
use leptos_router::{
    components::{Redirect, Route, Router, Routes},
    lazy_route, path, Lazy, LazyRoute, SsrMode,
};

use crate::i18n::Lang;
use crate::pages::{
    account::{ForgotPasswordPage, SetPasswordPage},
    admin_feed::{AdminDeadLetterPage, AdminFeedPage},
    admin_staff::AdminStaffPage,
    dispute_detail::DisputeDetailPage,
    dispute_new::DisputeNewPage,
    investigations::{DetectionSettingsPage, InvestigationPage, InvestigationsPage},
    login::LoginPage,
    my_disputes::MyDisputesPage,
    not_found::NotFound,
    notification_settings::NotificationSettingsPage,
    regulator::{RegulatorCasePage, RegulatorCasesPage},
    reports::ReportsPage,
    staff_case::StaffCasePage,
    staff_login::StaffLoginPage,
    staff_queue::StaffQueuePage,
    statistics::StatisticsPageView,
    timeline::TimelinePage,
};

/// Where the browser finds the stylesheet, the script and the WebAssembly. The server names
/// them by their content's hash, so a browser may keep them for good and a new release is
/// fetched at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetUrls {
    pub stylesheet: String,
    pub script: String,
    pub wasm: String,
}

/// Pages that do all they do as plain HTML (links, GET and POST forms, `<details>`), so a browser
/// opening one gets no script file and no WebAssembly: the timeline, where every customer lands, then costs a
/// phone the page and the stylesheet only. The browser's code comes with the next page that needs
/// it; reached from such a page, the timeline is drawn by that code as before.
#[cfg(feature = "ssr")]
const PAGES_WITHOUT_BROWSER_CODE: [&str; 1] = ["/timeline"];

/// Whether the page being rendered hydrates, from the request's path.
fn page_runs_browser_code() -> bool {
    #[cfg(feature = "ssr")]
    if let Some(request) = use_context::<leptos_actix::Request>() {
        return !PAGES_WITHOUT_BROWSER_CODE.contains(&request.path());
    }
    true
}

/// The HTML document around the app; rendered on the server only.
pub fn shell(assets: AssetUrls) -> impl IntoView {
    let lang = current_lang();
    #[cfg(feature = "ssr")]
    apply_content_security_policy();
    let runs_browser_code = page_runs_browser_code();
    let stylesheet = assets.stylesheet.clone();
    view! {
        <!DOCTYPE html>
        // `data-browser-code="none"` tells browser tests (and curious developers) that this page
        // will never set `data-hydrated`.
        <html lang=lang.code() data-browser-code=(!runs_browser_code).then_some("none")>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="stylesheet" href=stylesheet />
                {runs_browser_code.then(|| view! { <HydrationScript assets /> })}
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Starts hydration. Unlike Leptos's `HydrationScripts` it does not preload the WebAssembly: a
/// browser without JavaScript would download it (the largest file by far) and never run it.
/// The script is preloaded, being small; the module script then fetches the WebAssembly.
#[component]
fn HydrationScript(assets: AssetUrls) -> impl IntoView {
    let nonce = leptos::nonce::use_nonce();
    let start = format!(
        "import({script:?}).then(m => m.default({{module_or_path: {wasm:?}}}).then(() => m.hydrate()));",
        script = assets.script,
        wasm = assets.wasm,
    );
    view! {
        <link rel="modulepreload" href=assets.script />
        <script type="module" nonce=nonce>
            {start}
        </script>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let lang = current_lang();
    provide_context(lang);
    let texts = lang.texts();

    view! {
        <Link rel="icon" href="data:," />
        <Meta name="description" content=texts.tagline />
        <a class="skip-link" href="#main">
            {texts.skip_to_content}
        </a>
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=|| view! { <Redirect path="/timeline" /> } ssr=SsrMode::Async />
                <Route path=path!("/timeline") view=TimelinePage ssr=SsrMode::Async />
                <Route path=path!("/login") view={Lazy::<Login>::new()} ssr=SsrMode::Async />
                <Route path=path!("/account/forgot-password") view={Lazy::<ForgotPassword>::new()} ssr=SsrMode::Async />
                <Route path=path!("/account/set-password/:token") view={Lazy::<SetPassword>::new()} ssr=SsrMode::Async />
                <Route path=path!("/disputes") view={Lazy::<MyDisputes>::new()} ssr=SsrMode::Async />
                <Route path=path!("/reports") view={Lazy::<Reports>::new()} ssr=SsrMode::Async />
                <Route path=path!("/settings/notifications") view={Lazy::<NotificationSettings>::new()} ssr=SsrMode::Async />
                <Route path=path!("/disputes/new") view={Lazy::<DisputeNew>::new()} ssr=SsrMode::Async />
                <Route path=path!("/disputes/:reference") view={Lazy::<DisputeDetail>::new()} ssr=SsrMode::Async />
                <Route path=path!("/staff/login") view={Lazy::<StaffLogin>::new()} ssr=SsrMode::Async />
                <Route path=path!("/staff") view={Lazy::<StaffQueue>::new()} ssr=SsrMode::Async />
                <Route path=path!("/staff/disputes/:reference") view={Lazy::<StaffCase>::new()} ssr=SsrMode::Async />
                <Route path=path!("/staff/regulator") view={Lazy::<RegulatorCases>::new()} ssr=SsrMode::Async />
                <Route path=path!("/staff/regulator/cases/:id") view={Lazy::<RegulatorCase>::new()} ssr=SsrMode::Async />
                <Route path=path!("/staff/statistics") view={Lazy::<Statistics>::new()} ssr=SsrMode::Async />
                <Route path=path!("/staff/investigations") view={Lazy::<Investigations>::new()} ssr=SsrMode::Async />
                <Route path=path!("/staff/investigations/:reference") view={Lazy::<Investigation>::new()} ssr=SsrMode::Async />
                <Route path=path!("/staff/admin/detection") view={Lazy::<DetectionSettings>::new()} ssr=SsrMode::Async />
                <Route path=path!("/staff/admin/feed") view={Lazy::<AdminFeed>::new()} ssr=SsrMode::Async />
                <Route path=path!("/staff/admin/staff") view={Lazy::<AdminStaff>::new()} ssr=SsrMode::Async />
                <Route path=path!("/staff/admin/dead-letters/:id") view={Lazy::<AdminDeadLetter>::new()} ssr=SsrMode::Async />
            </Routes>
        </Router>
    }
}

/// A page whose code the browser loads only when it is visited: with `cargo leptos build
/// --split` each becomes a WebAssembly file of its own, so a customer opening the timeline never
/// downloads the back office, the admin or the regulator pages (nor the other customer pages
/// until they go there). The timeline, where customers land, stays in the main file.
macro_rules! lazy_page {
    ($($route:ident => $page:ident),* $(,)?) => {$(
        struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page /> }.into_any()
            }
        }
    )*};
}

lazy_page! {
    Login => LoginPage,
    ForgotPassword => ForgotPasswordPage,
    SetPassword => SetPasswordPage,
    MyDisputes => MyDisputesPage,
    Reports => ReportsPage,
    NotificationSettings => NotificationSettingsPage,
    DisputeNew => DisputeNewPage,
    DisputeDetail => DisputeDetailPage,
    StaffLogin => StaffLoginPage,
    StaffQueue => StaffQueuePage,
    StaffCase => StaffCasePage,
    RegulatorCases => RegulatorCasesPage,
    RegulatorCase => RegulatorCasePage,
    Statistics => StatisticsPageView,
    Investigations => InvestigationsPage,
    Investigation => InvestigationPage,
    DetectionSettings => DetectionSettingsPage,
    AdminFeed => AdminFeedPage,
    AdminStaff => AdminStaffPage,
    AdminDeadLetter => AdminDeadLetterPage,
}

/// Sets `data-hydrated` on `<html>` once the browser has taken over the server-rendered page,
/// the lazily loaded page included, so browser tests (and curious developers) can tell a hydrated
/// page from a static one.
#[cfg(feature = "hydrate")]
fn mark_hydrated() {
    if let Some(html) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = html.set_attribute("data-hydrated", "true");
    }
}

/// The language of this page: on the server from the cookie or `Accept-Language`, in the browser
/// from the `lang` attribute the server rendered, so both sides agree during hydration.
pub fn current_lang() -> Lang {
    if let Some(lang) = use_context::<Lang>() {
        return lang;
    }
    #[cfg(feature = "ssr")]
    {
        if let Some(request) = use_context::<leptos_actix::Request>() {
            return lang_of_request(&request);
        }
    }
    #[cfg(feature = "hydrate")]
    {
        if let Some(lang) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
            .and_then(|html| html.get_attribute("lang"))
            .and_then(|code| Lang::parse(&code))
        {
            return lang;
        }
    }
    Lang::default()
}

/// The language a request asks for: the switch's cookie first, then the browser's preference.
#[cfg(feature = "ssr")]
pub fn lang_of_request(request: &actix_web::HttpRequest) -> Lang {
    request
        .cookie(i18n::LANG_COOKIE)
        .and_then(|c| Lang::parse(c.value()))
        .or_else(|| {
            request
                .headers()
                .get(actix_web::http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default()
}

/// Scripts run only with this response's nonce; WebAssembly may compile (hydration needs it).
#[cfg(feature = "ssr")]
fn apply_content_security_policy() {
    use actix_web::http::header::{HeaderValue, CONTENT_SECURITY_POLICY};
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_actix::ResponseOptions>(),
    ) else {
        return;
    };
    let sign_out_targets = use_context::<crate::backend::SignOutTargets>()
        .map(|targets| targets.0.join(" "))
        .unwrap_or_default();
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self' {sign_out_targets}; frame-ancestors 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    std::panic::set_hook(Box::new(|panic| {
        console_error_panic_hook::hook(panic);
        reload_if_a_page_file_is_gone(&panic.to_string());
    }));
    // Waits for the lazily loaded page the server rendered before it takes the page over
    // (what `leptos::mount::hydrate_lazy` does), then says so.
    wasm_bindgen_futures::spawn_local(async {
        let root = leptos::mount::hydrate_from_async(leptos::tachys::dom::body(), App).await;
        root.forget();
        mark_hydrated();
    });
}

/// When this tab last reloaded because a page's code file was gone (milliseconds since the
/// epoch, in `sessionStorage`).
#[cfg(feature = "hydrate")]
const RELOADED_FOR_NEW_RELEASE_AT: &str = "einblick-reloaded-for-new-release-at";

/// A tab reloads for a missing file at most once a minute: a file missing from the current
/// release too (a broken deployment) must not reload it forever.
#[cfg(feature = "hydrate")]
const RELOAD_AT_MOST_EVERY_MS: u64 = 60_000;

/// A page opened before a release asks for its next page's code under the old release's name,
/// which the new server no longer has; the split loader then panics ("load callback should
/// succeed") and the page would stop answering. Loading the page afresh gets the new release.
/// Without `sessionStorage` (or when it refuses to note the reload) the page is left as it is,
/// rather than risk reloading in a loop.
#[cfg(feature = "hydrate")]
fn reload_if_a_page_file_is_gone(panic: &str) {
    if !panic.contains("load callback should succeed") {
        return;
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(storage) = window.session_storage().ok().flatten() else {
        return;
    };
    // Whole milliseconds: parsing and printing an f64 would add its code to the main file.
    let now = web_sys::js_sys::Date::now() as u64;
    let reloaded_lately = storage
        .get_item(RELOADED_FOR_NEW_RELEASE_AT)
        .ok()
        .flatten()
        .and_then(|at| at.parse::<u64>().ok())
        .is_some_and(|at| now.saturating_sub(at) < RELOAD_AT_MOST_EVERY_MS);
    if reloaded_lately
        || storage
            .set_item(RELOADED_FOR_NEW_RELEASE_AT, &now.to_string())
            .is_err()
    {
        return;
    }
    let _ = window.location().reload();
}
