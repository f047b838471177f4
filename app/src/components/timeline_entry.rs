use leptos::prelude::*;

use crate::current_lang;
use crate::dto::TimelineEntry;

/// One access, as the customer reads it: who (role), what, why, where.
#[component]
pub fn TimelineEntryItem(
    entry: TimelineEntry,
    /// On the timeline: a checkbox to select it and a link to dispute it.
    #[prop(optional)]
    selectable: bool,
) -> impl IntoView {
    let lang = current_lang();
    let texts = lang.texts();
    let disputes = lang.disputes();
    let select_label = format!(
        "{}: {} {}",
        disputes.select_entry, entry.local_time, entry.role.label
    );
    let dispute_href = format!("/disputes/new?event={}", entry.id);
    let proof_href = format!("/timeline/{}/proof", entry.id);
    let proof_file = format!("einblick-proof-{}.json", entry.id);
    let no_reason = entry.reason.code == "none";
    let reason_label = if no_reason {
        texts.no_reason_given.to_owned()
    } else {
        entry.reason.label.clone()
    };

    view! {
        <li class="entry" class:entry-no-reason=no_reason id=format!("entry-{}", entry.id) data-entry-id=entry.id.clone()>
            <time class="entry-time" datetime=entry.occurred_at.clone()>
                {entry.local_time.clone()}
            </time>
            {selectable
                .then(|| {
                    view! {
                        <input
                            class="entry-select"
                            type="checkbox"
                            name="event"
                            value=entry.id.clone()
                            aria-label=select_label
                        />
                    }
                })}
            <div class="entry-body">
                <details class="entry-role">
                    <summary>
                        <span class="role-label">{entry.role.label.clone()}</span>
                        <span class="role-more">{texts.role_more}</span>
                    </summary>
                    <p class="role-description">{entry.role_description.clone()}</p>
                </details>
                <p class="entry-what">
                    <span class="entry-action">{entry.action.label.clone()}</span>
                    ": "
                    <span class="entry-category">{entry.data_category.label.clone()}</span>
                </p>
                {entry
                    .explanation
                    .clone()
                    .map(|explanation| {
                        let class = format!("entry-explanation explanation-{}", explanation.state);
                        view! {
                            <p class=class data-explanation=explanation.state.clone()>
                                {explanation.text}
                            </p>
                        }
                    })}
                <dl class="entry-facts">
                    <div class="fact">
                        <dt>{texts.entry_reason}</dt>
                        <dd class="entry-reason">
                            {reason_label}
                            {entry
                                .reason_text
                                .clone()
                                .map(|text| view! { <q class="reason-text">{text}</q> })}
                        </dd>
                    </div>
                    {entry
                        .ticket
                        .clone()
                        .map(|ticket| {
                            view! {
                                <div class="fact">
                                    <dt>{texts.entry_ticket}</dt>
                                    <dd class="entry-ticket">{ticket}</dd>
                                </div>
                            }
                        })}
                    {entry
                        .system
                        .clone()
                        .map(|system| {
                            view! {
                                <div class="fact">
                                    <dt>{texts.entry_system}</dt>
                                    <dd class="entry-system">{system}</dd>
                                </div>
                            }
                        })}
                </dl>
                {selectable
                    .then(|| {
                        view! {
                            <p class="entry-links">
                                <a class="entry-dispute" href=dispute_href>
                                    {disputes.dispute_this}
                                </a>
                                // A download, not a page: the router must leave it to the browser.
                                <a
                                    class="entry-verify"
                                    href=proof_href
                                    rel="external nofollow"
                                    download=proof_file
                                    title=texts.verify_entry_hint
                                >
                                    {texts.verify_entry}
                                </a>
                            </p>
                        }
                    })}
            </div>
        </li>
    }
}
