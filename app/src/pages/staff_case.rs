use crate::components::page_title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::page_loader::page_loader;
use crate::components::problem::Notice;
use crate::components::site_header::{SiteFooter, SiteHeader};
use crate::current_lang;
use crate::dto::backoffice::{CaseEvent, CaseView};
use crate::dto::disputes::MAX_TEXT_CHARS;
use crate::pages::dispute_detail::Step;
use crate::pages::my_disputes::{DueDate, StatusBadge};
use crate::server_fns::load_staff_case;

/// `/staff/disputes/{reference}`: the case view and every action the viewer's role allows.
/// Each action is a form posting to `/staff/disputes/{reference}/{action}`.
#[component]
pub fn StaffCasePage() -> impl IntoView {
    let params = use_params_map();
    let reference = Memo::new(move |_| params.read().get("reference").unwrap_or_default());
    let case = Resource::new(move || reference.get(), load_staff_case);
    view! {
        {page_loader(case, "/staff/login?notice=session".into(), "/staff", true, |case| view! { <Case case /> })}
        <SiteFooter />
    }
}

#[component]
fn Case(case: CaseView) -> impl IntoView {
    let lang = current_lang();
    let texts = lang.backoffice();
    let disputes = lang.disputes();
    let common = lang.texts();
    let query = use_query_map();
    let (saved, error) = {
        let q = query.read_untracked();
        (
            q.get("notice").is_some_and(|n| n == "saved"),
            q.get("error"),
        )
    };
    let summary = case.summary.clone();
    let reference = summary.reference.clone();
    let action = move |name: &str| format!("/staff/disputes/{reference}/{name}");
    let title = texts.case_title.replace("{reference}", &summary.reference);
    let permissions = case.permissions.clone();
    let is_open = summary.status == "open";

    view! {
        <PageTitle text=title.clone() />
        <SiteHeader signed_in_as=format!("{} ({})", case.viewer.name, texts.role_label(&case.viewer.role)) staff=true staff_role=case.viewer.role.clone() />
        <main id="main" class="page wide case">
            <p class="breadcrumb"><a href="/staff">{texts.queue_title}</a></p>
            <h1>{title}</h1>
            <p class="small look-logged">{texts.look_logged}</p>
            {saved.then(|| view! { <Notice message=texts.saved /> })}
            {error.map(|code| view! { <Notice message=texts.error_message(&code) error=true /> })}
            <dl class="case-facts">
                <div class="fact"><dt>{disputes.col_status}</dt><dd><StatusBadge status=summary.status.clone() /></dd></div>
                <div class="fact"><dt>{disputes.col_due}</dt><dd><DueDate summary=summary.clone() /></dd></div>
                <div class="fact"><dt>{disputes.received_heading}</dt><dd>{common.short_date(summary.received_on)}</dd></div>
                <div class="fact"><dt>{texts.customer_heading}</dt><dd class="customer-ref">
                    {case.customer_ref.clone()}
                    {case.customer_is_vip.then(|| view! { " " <span class="badge badge-vip">{texts.vip_badge}</span> })}
                </dd></div>
                <div class="fact"><dt>{disputes.ground_heading}</dt><dd>{disputes.ground_label(&summary.ground)}</dd></div>
                <div class="fact"><dt>{texts.assignee_heading}</dt><dd class="assignee">{case.assignee.clone().unwrap_or_else(|| texts.unassigned.to_owned())}</dd></div>
            </dl>
            <section aria-labelledby="statement-heading">
                <h2 id="statement-heading">{texts.statement_heading}</h2>
                <p class="prewrap statement">{case.statement.clone()}</p>
            </section>
            {case.extension_reason.clone().map(|reason| view! {
                <section aria-labelledby="extension-heading">
                    <h2 id="extension-heading">{disputes.extension_heading}</h2>
                    <p class="prewrap">{reason}</p>
                </section>
            })}
            {case.decision.clone().map(|answer| view! {
                <section aria-labelledby="answer-heading">
                    <h2 id="answer-heading">{disputes.answer_heading}</h2>
                    <p class="prewrap decision">{answer}</p>
                </section>
            })}
            {case.internal_note.clone().map(|note| view! {
                <section aria-labelledby="note-heading">
                    <h2 id="note-heading">{texts.internal_note_heading}</h2>
                    <p class="prewrap">{note}</p>
                </section>
            })}
            <section aria-labelledby="events-heading">
                <h2 id="events-heading">{texts.events_heading}</h2>
                <div class="case-events">
                    {case.events.clone().into_iter().map(|event| view! { <CaseEventCard event /> }).collect_view()}
                </div>
            </section>
            <section aria-labelledby="others-heading">
                <h2 id="others-heading">{texts.other_disputes_heading}</h2>
                {if case.other_disputes.is_empty() {
                    view! { <p>{texts.none}</p> }.into_any()
                } else {
                    view! {
                        <ul class="other-disputes">
                            {case.other_disputes.clone().into_iter().map(|d| {
                                let href = format!("/staff/disputes/{}", d.reference);
                                view! { <li><a href=href>{d.reference.clone()}</a> " " <StatusBadge status=d.status.clone() /></li> }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
            <section aria-labelledby="history-heading">
                <h2 id="history-heading">{disputes.history_heading}</h2>
                <ol class="case-history">
                    {case.steps.clone().into_iter().map(|step| view! { <Step step staff_view=true /> }).collect_view()}
                </ol>
            </section>

            <div class="case-actions">
                {(permissions.work && is_open).then(|| view! {
                    <form method="post" action=action("review") class="action">
                        <button type="submit" class="primary">{texts.start_review}</button>
                    </form>
                })}
                {permissions.assign.then(|| view! {
                    <form method="post" action=action("assign") class="action">
                        <label for="assignee">{texts.assignee_heading}</label>
                        <select id="assignee" name="assignee">
                            <option value="">{texts.unassigned}</option>
                            {case.assignees.clone().into_iter().map(|a| {
                                let selected = case.assignee.as_deref() == Some(a.label.as_str());
                                view! { <option value=a.code selected=selected>{a.label}</option> }
                            }).collect_view()}
                        </select>
                        <button type="submit">{texts.assign_button}</button>
                    </form>
                })}
                {permissions.work.then(|| view! {
                    <TextAction action=action("request-info") field="message" id="request-info" heading=texts.request_info_heading button=texts.request_info_button />
                    <TextAction action=action("message") field="message" id="message" heading=texts.message_heading button=texts.message_button />
                    <TextAction action=action("note") field="note" id="note" heading=texts.note_heading button=texts.note_button />
                })}
                {permissions.extend.then(|| view! {
                    <form method="post" action=action("extend") class="action">
                        <h2>{texts.extend_heading}</h2>
                        <label for="extend-months">{texts.extend_months_label}</label>
                        <select id="extend-months" name="months">
                            {case.extension_options.clone().into_iter().map(|(months, date)| {
                                let label = texts.extend_option.replace("{n}", &months.to_string()).replace("{date}", &common.short_date(date));
                                view! { <option value=months.to_string()>{label}</option> }
                            }).collect_view()}
                        </select>
                        <label for="extend-reason">{texts.extend_reason_label}</label>
                        <textarea id="extend-reason" name="reason" rows="3" required maxlength=MAX_TEXT_CHARS.to_string()></textarea>
                        <button type="submit">{texts.extend_button}</button>
                    </form>
                })}
                {permissions.decide.then(|| view! {
                    <form method="post" action=action("decide") class="action decide">
                        <h2>{texts.decide_heading}</h2>
                        <fieldset>
                            <legend>{texts.outcome_legend}</legend>
                            <div class="choice">
                                <input type="radio" id="outcome-upheld" name="outcome" value="upheld" required />
                                <label for="outcome-upheld">{texts.outcome_upheld}</label>
                            </div>
                            <div class="choice">
                                <input type="radio" id="outcome-rejected" name="outcome" value="rejected" />
                                <label for="outcome-rejected">{texts.outcome_rejected}</label>
                            </div>
                        </fieldset>
                        <label for="explanation">{texts.explanation_label}</label>
                        <textarea id="explanation" name="explanation" rows="4" required maxlength=MAX_TEXT_CHARS.to_string()></textarea>
                        <label for="internal-note">{texts.internal_note_label}</label>
                        <textarea id="internal-note" name="internal_note" rows="2" maxlength=MAX_TEXT_CHARS.to_string()></textarea>
                        <button type="submit" class="primary">{texts.decide_button}</button>
                    </form>
                })}
                {(permissions.work && !permissions.decide).then(|| view! { <p class="small">{texts.lead_only}</p> })}
            </div>
        </main>
    }
}

#[component]
fn TextAction(
    action: String,
    field: &'static str,
    id: &'static str,
    heading: &'static str,
    button: &'static str,
) -> impl IntoView {
    let input_id = format!("{id}-text");
    view! {
        <form method="post" action=action class="action">
            <h2><label for=input_id.clone()>{heading}</label></h2>
            <textarea id=input_id name=field rows="3" required maxlength=MAX_TEXT_CHARS.to_string()></textarea>
            <button type="submit">{button}</button>
        </form>
    }
}

#[component]
fn CaseEventCard(event: CaseEvent) -> impl IntoView {
    let texts = current_lang().backoffice();
    let context = event.employee_context.clone();
    let reason = match &event.reason_text {
        Some(text) => format!("{} – „{text}“", event.reason.label),
        None => event.reason.label.clone(),
    };
    view! {
        <article class="case-event" data-event-id=event.id.clone()>
            <h3><time>{event.occurred_at.clone()}</time> " · " {event.data_category.label.clone()} " (" {event.action.clone()} ")"</h3>
            <dl class="entry-facts">
                <div class="fact"><dt>{texts.employee}</dt><dd class="employee-id">{event.employee_id.clone()}</dd></div>
                <div class="fact"><dt>{texts.role}</dt><dd>{event.role.label.clone()} " (" <code>{event.role.code.clone()}</code> ")"</dd></div>
                <div class="fact"><dt>{texts.team}</dt><dd>{event.team.clone().unwrap_or_else(|| "–".into())} {event.office_country.clone().map(|c| format!(" · {c}"))}</dd></div>
                <div class="fact"><dt>{texts.reason}</dt><dd>{reason}</dd></div>
                <div class="fact"><dt>{texts.ticket}</dt><dd>{event.ticket.clone().unwrap_or_else(|| "–".into())}</dd></div>
                <div class="fact"><dt>{texts.system}</dt><dd>{event.system.clone().unwrap_or_else(|| "–".into())} " · " {event.source.clone()}</dd></div>
            </dl>
            <p class="employee-context">
                <strong>{texts.context_heading}": "</strong>
                <span class="ctx-accesses">{context.accesses}" "{texts.ctx_accesses}</span>", "
                <span class="ctx-customers">{context.distinct_customers}" "{texts.ctx_customers}</span>", "
                <span class="ctx-vip">{context.vip_customers}" "{texts.ctx_vip}</span>", "
                <span class="ctx-nights">{context.night_accesses}" "{texts.ctx_nights}</span>
            </p>
        </article>
    }
}
