use crate::components::page_title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::page_loader::page_loader;
use crate::components::problem::Notice;
use crate::components::site_header::{SiteFooter, SiteHeader};
use crate::components::timeline_entry::entries_html;
use crate::current_lang;
use crate::dto::disputes::{DisputeDraft, GROUNDS, MAX_TEXT_CHARS};
use crate::server_fns::load_dispute_draft;

/// `/disputes/new?event=…`: the dispute form for one or more timeline entries. It posts to
/// `POST /disputes`; on a refusal the server sends the person back here with `error=` and
/// everything they typed.
#[component]
pub fn DisputeNewPage() -> impl IntoView {
    let lang = current_lang();
    let params = use_query_map();
    let ids = Memo::new(move |_| params.read().get_all("event").unwrap_or_default());
    let draft = Resource::new(move || ids.get(), load_dispute_draft);

    view! {
        <PageTitle text=lang.disputes().new_title />
        {page_loader(draft, "/login?notice=session&next=/timeline".into(), "/timeline", false, |draft| view! { <DisputeForm draft /> })}
        <SiteFooter />
    }
}

#[component]
fn DisputeForm(draft: DisputeDraft) -> impl IntoView {
    let lang = current_lang();
    let texts = lang.disputes();
    let params = use_query_map();
    let (error, ground, statement) = {
        let params = params.read_untracked();
        (
            params.get("error"),
            params.get("ground"),
            params.get("statement"),
        )
    };
    let due = texts
        .due_note
        .replace("{date}", &lang.texts().long_date(draft.due_if_filed_today));
    let has_entries = !draft.entries.is_empty();

    view! {
        <SiteHeader viewer=draft.viewer.clone() />
        <main id="main" class="page narrow">
            <h1>{texts.new_title}</h1>
            <p class="lead">{texts.new_intro}</p>
            {error.map(|code| view! { <Notice message=texts.error_message(&code) error=true /> })}
            {if has_entries {
                view! {
                    <section aria-labelledby="disputed-heading">
                        <h2 id="disputed-heading">{texts.entries_heading}</h2>
                        <ol class="entries disputed-entries" inner_html=entries_html(&draft.entries, lang).into_string()></ol>
                    </section>
                    <form method="post" action="/disputes" class="dispute-form">
                        {draft.entries.iter().map(|e| view! { <input type="hidden" name="event" value=e.id.clone() /> }).collect_view()}
                        <fieldset>
                            <legend>{texts.ground_legend}</legend>
                            {GROUNDS
                                .into_iter()
                                .map(|code| {
                                    let id = format!("ground-{code}");
                                    let checked = ground.as_deref() == Some(code)
                                        || (ground.is_none() && code == GROUNDS[0]);
                                    view! {
                                        <div class="choice">
                                            <input type="radio" id=id.clone() name="ground" value=code checked=checked required />
                                            <label for=id>{texts.ground_label(code)}</label>
                                        </div>
                                    }
                                })
                                .collect_view()}
                        </fieldset>
                        <label for="statement">{texts.statement_label}</label>
                        <p class="small" id="statement-hint">{texts.statement_hint}</p>
                        <textarea
                            id="statement"
                            name="statement"
                            rows="6"
                            required
                            maxlength=MAX_TEXT_CHARS.to_string()
                            aria-describedby="statement-hint"
                            prop:value=statement.clone().unwrap_or_default()
                        >
                            {statement.clone().unwrap_or_default()}
                        </textarea>
                        <p class="due-note">{due}</p>
                        <div class="form-actions">
                            <button type="submit" class="primary">{texts.submit}</button>
                            <a href="/timeline">{texts.cancel}</a>
                        </div>
                    </form>
                }
                    .into_any()
            } else {
                view! {
                    <section class="empty-state">
                        <p>{texts.no_entries}</p>
                        <p><a href="/timeline" class="button">{texts.nav_timeline}</a></p>
                    </section>
                }
                    .into_any()
            }}
        </main>
    }
}
