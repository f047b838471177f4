use crate::components::page_title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::page_loader::page_loader;
use crate::components::problem::Notice;
use crate::components::site_header::{SiteFooter, SiteHeader};
use crate::components::timeline_entry::entries_html;
use crate::current_lang;
use crate::dto::disputes::{CaseStep, DisputeDetail, MAX_TEXT_CHARS};
use crate::pages::my_disputes::{DueDate, StatusBadge};
use crate::server_fns::load_dispute;

/// `/disputes/{reference}`: one case — status, deadline, the disputed entries, the thread with
/// the privacy team, and the forms to add information (`POST …/messages`) or withdraw.
#[component]
pub fn DisputeDetailPage() -> impl IntoView {
    let params = use_params_map();
    let reference = Memo::new(move |_| params.read().get("reference").unwrap_or_default());
    let detail = Resource::new(move || reference.get(), load_dispute);
    view! {
        {page_loader(detail, format!("/login?notice=session&next=/disputes/{}", crate::dto::percent_encode(&reference.get_untracked())), "/disputes", false, |detail| view! { <DisputeView detail /> })}
        <SiteFooter />
    }
}

#[component]
fn DisputeView(detail: DisputeDetail) -> impl IntoView {
    let lang = current_lang();
    let texts = lang.disputes();
    let common = lang.texts();
    let query = use_query_map();
    let (notice, error, draft_message) = {
        let q = query.read_untracked();
        (q.get("notice"), q.get("error"), q.get("message"))
    };
    let summary = detail.summary.clone();
    let title = texts
        .detail_title
        .replace("{reference}", &summary.reference);
    let notice = notice.and_then(|n| match n.as_str() {
        "filed" => Some(
            texts
                .filed_notice
                .replace("{reference}", &summary.reference)
                .replace("{date}", &common.long_date(summary.due_on)),
        ),
        "sent" => Some(texts.sent_notice.to_owned()),
        "withdrawn" => Some(texts.withdrawn_notice.to_owned()),
        _ => None,
    });
    let reply_action = format!("/disputes/{}/messages", summary.reference);
    let withdraw_action = format!("/disputes/{}/withdraw", summary.reference);

    view! {
        <PageTitle text=title.clone() />
        <SiteHeader viewer=detail.viewer.clone() />
        <main id="main" class="page narrow">
            <p class="breadcrumb"><a href="/disputes">{texts.back_to_list}</a></p>
            <h1>{title}</h1>
            {notice.map(|message| view! { <Notice message /> })}
            {error.map(|code| view! { <Notice message=texts.error_message(&code) error=true /> })}
            <dl class="case-facts">
                <div class="fact"><dt>{texts.col_status}</dt><dd><StatusBadge status=summary.status.clone() /></dd></div>
                <div class="fact"><dt>{texts.received_heading}</dt><dd>{common.long_date(summary.received_on)}</dd></div>
                <div class="fact"><dt>{texts.due_heading}</dt><dd><DueDate summary=summary.clone() /></dd></div>
                <div class="fact"><dt>{texts.ground_heading}</dt><dd>{texts.ground_label(&summary.ground)}</dd></div>
            </dl>
            {detail.decision.clone().map(|answer| view! {
                <section class="answer" aria-labelledby="answer-heading">
                    <h2 id="answer-heading">{texts.answer_heading}</h2>
                    <p class="prewrap">{answer}</p>
                </section>
            })}
            {detail.extension_reason.clone().map(|reason| view! {
                <section aria-labelledby="extension-heading">
                    <h2 id="extension-heading">{texts.extension_heading}</h2>
                    <p class="prewrap">{reason}</p>
                </section>
            })}
            <section aria-labelledby="statement-heading">
                <h2 id="statement-heading">{texts.statement_heading}</h2>
                <p class="prewrap statement">{detail.statement.clone()}</p>
            </section>
            <section aria-labelledby="entries-heading">
                <h2 id="entries-heading">{texts.entries_heading}</h2>
                <ol class="entries disputed-entries" inner_html=entries_html(&detail.entries, lang).into_string()></ol>
            </section>
            <section aria-labelledby="history-heading">
                <h2 id="history-heading">{texts.history_heading}</h2>
                <ol class="case-history">
                    {detail.steps.clone().into_iter().map(|step| view! { <Step step /> }).collect_view()}
                </ol>
            </section>
            {detail.can_reply.then(|| view! {
                <section id="reply" aria-labelledby="reply-heading">
                    <h2 id="reply-heading">{texts.reply_heading}</h2>
                    <form method="post" action=reply_action.clone() class="reply-form">
                        <label for="message">{texts.reply_label}</label>
                        <textarea id="message" name="message" rows="4" required maxlength=MAX_TEXT_CHARS.to_string() prop:value=draft_message.clone().unwrap_or_default()>
                            {draft_message.clone().unwrap_or_default()}
                        </textarea>
                        <button type="submit" class="primary">{texts.reply_button}</button>
                    </form>
                </section>
            })}
            {detail.can_withdraw.then(|| view! {
                <section aria-labelledby="withdraw-heading" class="withdraw">
                    <h2 id="withdraw-heading">{texts.withdraw_heading}</h2>
                    <p>{texts.withdraw_body}</p>
                    <form method="post" action=withdraw_action.clone()>
                        <button type="submit" class="danger">{texts.withdraw_button}</button>
                    </form>
                </section>
            })}
        </main>
    }
}

/// One step of the case; messages show their text.
#[component]
pub fn Step(
    step: CaseStep,
    /// In the back office the customer is "the data subject", not "you".
    #[prop(optional)]
    staff_view: bool,
) -> impl IntoView {
    let lang = current_lang();
    let texts = lang.disputes();
    let customer = if staff_view {
        lang.backoffice().customer
    } else {
        texts.you
    };
    let who = match step.kind.as_str() {
        "received" | "message_from_customer" | "withdrawn" if step.by_staff.is_none() => {
            customer.to_owned()
        }
        _ => match &step.by_staff {
            Some(name) if !name.is_empty() => name.clone(),
            _ => texts.privacy_team.to_owned(),
        },
    };
    view! {
        <li class=format!("step step-{}", step.kind)>
            <p class="step-head">
                <span class="step-label">{texts.step_label(&step.kind)}</span>
                " · " <span class="step-who">{who}</span>
                " · " <time>{step.at.clone()}</time>
            </p>
            {step.body.clone().map(|body| view! { <p class="prewrap step-body">{body}</p> })}
        </li>
    }
}
