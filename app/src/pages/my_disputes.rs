use crate::components::page_title::PageTitle;
use leptos::prelude::*;

use crate::components::page_loader::page_loader;
use crate::components::site_header::{SiteFooter, SiteHeader};
use crate::current_lang;
use crate::dto::disputes::{DisputeSummary, MyDisputes};
use crate::server_fns::load_my_disputes;

/// `/disputes`: the customer's disputes with status and deadline.
#[component]
pub fn MyDisputesPage() -> impl IntoView {
    let lang = current_lang();
    let list = Resource::new(|| (), |_| load_my_disputes());
    view! {
        <PageTitle text=lang.disputes().list_title />
        {page_loader(list, "/login?notice=session&next=/disputes".into(), "/timeline", false, |list| view! { <DisputeList list /> })}
        <SiteFooter />
    }
}

#[component]
fn DisputeList(list: MyDisputes) -> impl IntoView {
    let lang = current_lang();
    let texts = lang.disputes();
    view! {
        <SiteHeader viewer=list.viewer.clone() />
        <main id="main" class="page">
            <h1>{texts.list_title}</h1>
            <p class="lead">{texts.list_intro}</p>
            {if list.disputes.is_empty() {
                view! {
                    <section class="empty-state">
                        <h2>{texts.list_empty_title}</h2>
                        <p>{texts.list_empty_body}</p>
                        <p><a href="/timeline" class="button">{texts.nav_timeline}</a></p>
                    </section>
                }
                    .into_any()
            } else {
                view! {
                    <div class="table-scroll">
                        <table class="disputes">
                            <thead>
                                <tr>
                                    <th scope="col">{texts.col_reference}</th>
                                    <th scope="col">{texts.col_received}</th>
                                    <th scope="col">{texts.col_status}</th>
                                    <th scope="col">{texts.col_due}</th>
                                    <th scope="col">{texts.col_entries}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {list.disputes.into_iter().map(|d| view! { <DisputeRow dispute=d /> }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }}
        </main>
    }
}

#[component]
fn DisputeRow(dispute: DisputeSummary) -> impl IntoView {
    let lang = current_lang();
    let href = format!("/disputes/{}", dispute.reference);
    view! {
        <tr class:overdue=dispute.overdue>
            <th scope="row"><a href=href>{dispute.reference.clone()}</a></th>
            <td>{lang.texts().short_date(dispute.received_on)}</td>
            <td><StatusBadge status=dispute.status.clone() /></td>
            <td><DueDate summary=dispute.clone() /></td>
            <td>{dispute.event_count}</td>
        </tr>
    }
}

/// The status in words, styled by status.
#[component]
pub fn StatusBadge(status: String) -> impl IntoView {
    let label = current_lang().disputes().status_label(&status);
    view! { <span class=format!("status status-{status}")>{label}</span> }
}

/// The due date, marked when extended and flagged when overdue.
#[component]
pub fn DueDate(summary: DisputeSummary) -> impl IntoView {
    let lang = current_lang();
    let texts = lang.disputes();
    view! {
        <time datetime=summary.due_on.to_string()>{lang.texts().short_date(summary.due_on)}</time>
        {summary.extended.then(|| view! { " " <span class="badge">{texts.extended_badge}</span> })}
        {summary.overdue.then(|| view! { " " <span class="badge badge-overdue">{texts.overdue_badge}</span> })}
    }
}
