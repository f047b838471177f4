use crate::components::page_title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::page_loader::page_loader;
use crate::components::problem::Notice;
use crate::components::site_header::{SiteFooter, SiteHeader};
use crate::current_lang;
use crate::dto::reports::ReportForm;
use crate::server_fns::load_report_form;

/// Formats offered, in the order shown; the first is preselected.
const FORMATS: [&str; 4] = ["pdf", "html", "json", "csv"];

/// `/reports`: choose a period and a format, then download the access report. A plain GET form
/// to `/reports/access`, so it works without JavaScript.
#[component]
pub fn ReportsPage() -> impl IntoView {
    let lang = current_lang();
    let form = Resource::new(|| (), |_| load_report_form());
    view! {
        <PageTitle text=lang.reports().title />
        {page_loader(form, "/login?notice=session&next=/reports".into(), "/timeline", false, |form| view! { <ReportFormView form /> })}
        <SiteFooter />
    }
}

#[component]
fn ReportFormView(form: ReportForm) -> impl IntoView {
    let lang = current_lang();
    let texts = lang.reports();
    let query = use_query_map();
    let (error, from, to) = {
        let q = query.read_untracked();
        (q.get("error"), q.get("from"), q.get("to"))
    };
    // After a refusal the form shows what was typed, so nothing is lost.
    let from = from
        .filter(|v| !v.is_empty())
        .unwrap_or(form.default_from.clone());
    let to = to
        .filter(|v| !v.is_empty())
        .unwrap_or(form.default_to.clone());
    let message = error.as_deref().and_then(|code| texts.error_message(code));
    let invalid = |field: &str| (error.as_deref() == Some(field)).then_some("true");
    let format_label = |code: &str| match code {
        "pdf" => texts.format_pdf,
        "html" => texts.format_html,
        "json" => texts.format_json,
        _ => texts.format_csv,
    };
    view! {
        <SiteHeader viewer=form.viewer.clone() />
        <main id="main" class="page narrow">
            <h1>{texts.title}</h1>
            <p class="lead">{texts.intro}</p>
            {message.map(|m| view! { <Notice message=m error=true /> })}
            <form method="get" action="/reports/access" class="report-form">
                <input type="hidden" name="lang" value=lang.code() />
                <fieldset>
                    <legend>{texts.period_legend}</legend>
                    <p class="small" id="period-hint">{texts.period_hint} " (" {form.time_zone.clone()} ")"</p>
                    <div class="field-row">
                        <div class="field">
                            <label for="from">{texts.from_label}</label>
                            <input type="date" id="from" name="from" value=from max=form.default_to.clone() aria-invalid=invalid("from") aria-describedby="period-hint" />
                        </div>
                        <div class="field">
                            <label for="to">{texts.to_label}</label>
                            <input type="date" id="to" name="to" value=to max=form.default_to.clone() aria-invalid=invalid("to") aria-describedby="period-hint" />
                        </div>
                    </div>
                </fieldset>
                <fieldset>
                    <legend>{texts.format_legend}</legend>
                    {FORMATS
                        .into_iter()
                        .map(|code| {
                            let id = format!("format-{code}");
                            view! {
                                <div class="choice">
                                    <input type="radio" id=id.clone() name="format" value=code checked=code == FORMATS[0] />
                                    <label for=id>{format_label(code)}</label>
                                </div>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <div class="form-actions">
                    <button type="submit" class="primary">{texts.download}</button>
                </div>
            </form>
            <section aria-labelledby="contents-heading">
                <h2 id="contents-heading">{texts.contents_heading}</h2>
                <ul>
                    {texts.contents.into_iter().map(|item| view! { <li>{item}</li> }).collect_view()}
                </ul>
            </section>
        </main>
    }
}
