use crate::components::page_title::PageTitle;
use leptos::prelude::*;
use leptos_router::components::{Redirect, A};
use leptos_router::hooks::use_query_map;

use crate::components::site_header::{SiteFooter, SiteHeader};
use crate::current_lang;
use crate::dto::{Labelled, PortalError, TimelineQuery, TimelineScreen};
use crate::i18n::Texts;
use crate::server_fns::load_timeline;
#[cfg(feature = "ssr")]
use crate::{
    components::timeline_entry::timeline_days_html, dto::TimelinePage as PageData, i18n::Lang,
};

/// The customer's landing page: every access to their data, grouped by day, newest first.
#[component]
pub fn TimelinePage() -> impl IntoView {
    let texts = current_lang().texts();
    let params = use_query_map();
    let query = Memo::new(move |_| {
        let params = params.read();
        // Every key `from_pairs` knows: a key missing here was a filter the form offered and
        // the page ignored (the explanation filter once was).
        let values: Vec<(&str, String)> = TimelineQuery::FILTER_KEYS
            .iter()
            .chain(&["cursor", "limit"])
            .filter_map(|k| params.get(k).map(|v| (*k, v)))
            .collect();
        TimelineQuery::from_pairs(values.iter().map(|(k, v)| (*k, v.as_str())))
    });
    // Not a resource: `/timeline` never hydrates (`PAGES_WITHOUT_BROWSER_CODE`), so a resource's
    // copy of the data, serialized into the page for hydration, would be read by nobody. Loaded
    // when the component is made, once; awaited in the `Suspend` below, which the server resolves
    // more than once.
    let page = AsyncDerived::new(move || load_timeline(query.get()));
    let (pending, set_pending) = signal(false);

    view! {
        <PageTitle text=texts.timeline_title />
        <Transition fallback=move || {
            view! {
                <SiteHeader />
                <main id="main" class="page">
                    <p class="loading" role="status">{texts.loading}</p>
                </main>
            }
        } set_pending>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(Ok(loaded)) => {
                        view! { <TimelineView screen=loaded query=query.get_untracked() pending /> }
                            .into_any()
                    }
                    Ok(Err(PortalError::NotSignedIn)) => {
                        view! { <Redirect path="/login?notice=session&next=/timeline" /> }.into_any()
                    }
                    Ok(Err(problem)) => view! { <TimelineError problem /> }.into_any(),
                    Err(_) => view! { <TimelineError problem=PortalError::Unavailable /> }.into_any(),
                }
            })}
        </Transition>
        <SiteFooter />
    }
}

#[component]
fn TimelineView(
    screen: TimelineScreen,
    query: TimelineQuery,
    pending: ReadSignal<bool>,
) -> impl IntoView {
    let texts = current_lang().texts();
    let TimelineScreen {
        page,
        entry_count,
        entries_html,
    } = screen;
    let is_first_page = query.cursor.is_none();
    let older_href = page
        .next_cursor
        .as_deref()
        .map(|cursor| format!("/timeline?{}", query.to_query_string(Some(cursor))));
    let newest_href = format!("/timeline?{}", query.to_query_string(None));
    let filtered = query.has_filters();

    view! {
        <SiteHeader viewer=page.viewer.clone() />
        <main id="main" class="page" aria-busy=move || pending.get().to_string()>
            <h1>{texts.timeline_title}</h1>
            <p class="lead">{texts.timeline_intro}</p>
            <CoverageNote coverage=page.coverage.clone() time_zone=page.time_zone.clone() />
            <FilterForm options=page.filter_options.clone() query=query.clone() />
            <Show when=move || pending.get()>
                <p class="loading inline" role="status">{texts.loading}</p>
            </Show>
            {if entry_count == 0 {
                let (title, body) = if filtered || !is_first_page {
                    (texts.empty_filtered_title, texts.empty_filtered_body)
                } else {
                    (texts.empty_title, texts.empty_body)
                };
                view! {
                    <section class="empty-state" aria-live="polite">
                        <h2>{title}</h2>
                        <p>{body}</p>
                        {filtered.then(|| view! { <A href="/timeline">{texts.clear_filters}</A> })}
                    </section>
                }
                    .into_any()
            } else {
                // The entries are plain HTML (links, a checkbox in a GET form, `<details>`) that
                // nothing needs the browser's code for: written by the server (`render_entries`)
                // and put in as they are.
                view! {
                    <form method="get" action="/disputes/new" class="timeline-form">
                    <p class="small selection-hint">{current_lang().disputes().selection_hint}</p>
                    // Said once here rather than as every entry's link title: fifty copies were
                    // a tenth of the page, and a title is out of reach on a touch screen.
                    <p class="small proof-hint" id="proof-hint">{texts.verify_entries_hint}</p>
                    <ol class="timeline" aria-label=texts.timeline_title inner_html=entries_html.into_string()></ol>
                    <div class="selection-bar">
                        <button type="submit" class="primary">{current_lang().disputes().dispute_selected}</button>
                    </div>
                    </form>
                }
                    .into_any()
            }}
            <nav class="pager" aria-label=texts.show_older>
                {(!is_first_page).then(|| view! { <A href=newest_href>{texts.back_to_newest}</A> })}
                {older_href.map(|href| view! { <A href=href attr:class="button">{texts.show_older}</A> })}
            </nav>
            <p class="small timeline-proof">
                <a
                    href="/timeline/proof"
                    rel="external nofollow"
                    download="einblick-timeline-proof.json"
                    title=texts.verify_timeline_hint
                >
                    {texts.verify_timeline}
                </a>
            </p>
        </main>
    }
}

/// The page's entries, grouped by day, as HTML: written here on the server, once, and carried
/// by the page (or the server function's answer) as that HTML only.
#[cfg(feature = "ssr")]
pub fn render_entries(mut page: PageData, lang: Lang) -> TimelineScreen {
    let entries = std::mem::take(&mut page.entries);
    TimelineScreen {
        page,
        entry_count: entries.len(),
        entries_html: timeline_days_html(&entries, lang),
    }
}

#[component]
fn CoverageNote(coverage: crate::dto::LogCoverage, time_zone: String) -> impl IntoView {
    let texts = current_lang().texts();
    let since = match coverage.since {
        Some(date) => texts
            .coverage_since
            .replace("{date}", &texts.short_date(date)),
        None => texts.coverage_empty.to_owned(),
    };
    let systems = coverage.systems.join(", ");
    let witnessed = (!coverage.witnessed_by.is_empty()).then(|| {
        texts
            .witnessed_by
            .replace("{names}", &coverage.witnessed_by.join(", "))
    });
    view! {
        <section class="coverage" aria-label=texts.coverage_systems>
            <p>
                {since} " "
                {(!systems.is_empty())
                    .then(|| {
                        view! {
                            {texts.coverage_systems}
                            " "
                            <span class="systems">{systems}</span>
                        }
                    })}
            </p>
            <p class="small">
                {texts.times_in_zone.replace("{zone}", &time_zone)} " " {texts.roles_not_names}
            </p>
            {witnessed.map(|text| view! { <p class="small witnessed">{text}</p> })}
        </section>
    }
}

#[component]
fn FilterForm(options: crate::dto::FilterOptions, query: TimelineQuery) -> impl IntoView {
    let texts = current_lang().texts();
    let fields = view! {
        <fieldset class="filters">
            <legend>{texts.filters_legend}</legend>
            <div class="field">
                <label for="filter-from">{texts.filter_from}</label>
                <input id="filter-from" type="date" name="from" value=query.from.clone().unwrap_or_default() />
            </div>
            <div class="field">
                <label for="filter-to">{texts.filter_to}</label>
                <input id="filter-to" type="date" name="to" value=query.to.clone().unwrap_or_default() />
            </div>
            <FilterSelect id="filter-category" name="category" label=texts.filter_category options=options.categories selected=query.category.clone() texts />
            <FilterSelect id="filter-role" name="role" label=texts.filter_role options=options.roles selected=query.role.clone() texts />
            <FilterSelect id="filter-reason" name="reason" label=texts.filter_reason options=options.reasons selected=query.reason.clone() texts />
            <ExplanationSelect selected=query.explanation.clone() />
            <div class="filter-actions">
                <button type="submit" class="primary">{texts.apply_filters}</button>
                {query.has_filters().then(|| view! { <A href="/timeline">{texts.clear_filters}</A> })}
            </div>
        </fieldset>
    };
    // The server renders this page only for a browser that will not run the app's code there
    // (`PAGES_WITHOUT_BROWSER_CODE`): a plain form does the same and costs less to render.
    #[cfg(feature = "ssr")]
    let form = view! { <form method="get" action="/timeline">{fields}</form> }.into_any();
    #[cfg(not(feature = "ssr"))]
    let form = view! { <leptos_router::components::Form method="GET" action="/timeline">{fields}</leptos_router::components::Form> }.into_any();
    form
}

#[component]
fn FilterSelect(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    options: Vec<Labelled>,
    selected: Option<String>,
    texts: &'static Texts,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id name=name>
                <option value="" selected=selected.is_none()>{texts.filter_any}</option>
                {options
                    .into_iter()
                    .map(|option| {
                        let is_selected = selected.as_deref() == Some(option.code.as_str());
                        view! { <option value=option.code selected=is_selected>{option.label}</option> }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}

#[component]
fn TimelineError(problem: PortalError) -> impl IntoView {
    let texts = current_lang().texts();
    let message = match &problem {
        PortalError::InvalidFilter { field } => {
            texts.error_invalid_filter.replace("{field}", field)
        }
        PortalError::InvalidCursor => texts.error_invalid_cursor.to_owned(),
        PortalError::NotSignedIn => texts.session_expired.to_owned(),
        PortalError::NotFound => texts.not_found_body.to_owned(),
        PortalError::Forbidden | PortalError::LookNotConfirmed | PortalError::Unavailable => {
            texts.error_unavailable.to_owned()
        }
    };
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_actix::ResponseOptions>() {
        let status = match problem {
            PortalError::Unavailable => actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            _ => actix_web::http::StatusCode::BAD_REQUEST,
        };
        response.set_status(status);
    }
    view! {
        <SiteHeader />
        <main id="main" class="page">
            <section class="error-state" role="alert">
                <h1>{texts.error_title}</h1>
                <p>{message}</p>
                <p>
                    <a href="/timeline" class="button">{texts.retry}</a>
                </p>
            </section>
        </main>
    }
}

/// "Only unexplained accesses": the filter the explanations are for.
#[component]
fn ExplanationSelect(selected: Option<String>) -> impl IntoView {
    let texts = current_lang().explanations();
    let choices = [
        ("", texts.filter_any),
        ("unexplained", texts.filter_unexplained),
        ("explained", texts.filter_explained),
    ];
    let selected = selected.unwrap_or_default();
    view! {
        <div class="field">
            <label for="filter-explanation">{texts.filter_label}</label>
            <select id="filter-explanation" name="explanation">
                {choices
                    .into_iter()
                    .map(|(value, label)| {
                        view! { <option value=value selected=selected == value>{label}</option> }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}
