use crate::components::page_title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::page_loader::page_loader;
use crate::components::site_header::{SiteFooter, SiteHeader};
use crate::current_lang;
use crate::dto::backoffice::{QueuePage, QueueQuery};
use crate::pages::my_disputes::{DueDate, StatusBadge};
use crate::server_fns::load_staff_queue;

/// `/staff`: the dispute queue by due date, filtered by `status`, `assignee` and `overdue`.
#[component]
pub fn StaffQueuePage() -> impl IntoView {
    let lang = current_lang();
    let params = use_query_map();
    let query = Memo::new(move |_| {
        let params = params.read();
        let values: Vec<(&str, String)> = ["status", "assignee", "overdue"]
            .iter()
            .filter_map(|k| params.get(k).map(|v| (*k, v)))
            .collect();
        QueueQuery::from_pairs(values.iter().map(|(k, v)| (*k, v.as_str())))
    });
    let page = Resource::new(move || query.get(), load_staff_queue);
    view! {
        <PageTitle text=lang.backoffice().queue_title />
        {page_loader(page, "/staff/login?notice=session".into(), "/staff/login", true, move |page| view! { <Queue page query=query.get_untracked() /> })}
        <SiteFooter />
    }
}

#[component]
fn Queue(page: QueuePage, query: QueueQuery) -> impl IntoView {
    let lang = current_lang();
    let texts = lang.backoffice();
    let disputes = lang.disputes();
    let status = query.status.clone().unwrap_or_else(|| "active".into());
    let assignee = query.assignee.clone().unwrap_or_default();
    let overdue_only = query.overdue.as_deref() == Some("1");
    let statuses = [
        ("active", texts.status_active),
        ("all", texts.status_all),
        ("open", disputes.status_open),
        ("in_review", disputes.status_in_review),
        ("waiting_for_customer", disputes.status_waiting_for_customer),
        ("upheld", disputes.status_upheld),
        ("rejected", disputes.status_rejected),
        ("withdrawn", disputes.status_withdrawn),
    ];
    let mut assignees = vec![
        (String::new(), texts.assignee_any.to_owned()),
        ("me".to_owned(), texts.assignee_me.to_owned()),
        ("none".to_owned(), texts.assignee_none.to_owned()),
    ];
    assignees.extend(
        page.assignees
            .iter()
            .map(|a| (a.code.clone(), a.label.clone())),
    );

    view! {
        <SiteHeader signed_in_as=format!("{} ({})", page.viewer.name, texts.role_label(&page.viewer.role)) staff=true staff_role=page.viewer.role.clone() />
        <main id="main" class="page wide">
            <h1>{texts.queue_title}</h1>
            {(page.overdue_count > 0).then(|| view! {
                <p class="notice notice-error overdue-count">
                    <a href="/staff?overdue=1">{texts.overdue_count.replace("{n}", &page.overdue_count.to_string())}</a>
                </p>
            })}
            <form method="get" action="/staff" class="filters queue-filters">
                <div class="field">
                    <label for="queue-status">{texts.filter_status}</label>
                    <select id="queue-status" name="status">
                        {statuses.into_iter().map(|(code, label)| view! { <option value=code selected=status == code>{label}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="queue-assignee">{texts.filter_assignee}</label>
                    <select id="queue-assignee" name="assignee">
                        {assignees.into_iter().map(|(code, label)| {
                            let selected = assignee == code;
                            view! { <option value=code selected=selected>{label}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field checkbox">
                    <input type="checkbox" id="queue-overdue" name="overdue" value="1" checked=overdue_only />
                    <label for="queue-overdue">{texts.filter_overdue}</label>
                </div>
                <div class="filter-actions"><button type="submit" class="primary">{texts.apply}</button></div>
            </form>
            {if page.items.is_empty() {
                view! { <section class="empty-state"><p>{texts.queue_empty}</p></section> }.into_any()
            } else {
                view! {
                    <div class="table-scroll">
                        <table class="queue">
                            <thead>
                                <tr>
                                    <th scope="col">{disputes.col_due}</th>
                                    <th scope="col">{disputes.col_reference}</th>
                                    <th scope="col">{disputes.col_status}</th>
                                    <th scope="col">{texts.col_customer}</th>
                                    <th scope="col">{texts.col_assignee}</th>
                                    <th scope="col">{disputes.col_received}</th>
                                    <th scope="col">{disputes.col_entries}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {page.items.into_iter().map(|item| {
                                    let href = format!("/staff/disputes/{}", item.summary.reference);
                                    view! {
                                        <tr class:overdue=item.summary.overdue>
                                            <td><DueDate summary=item.summary.clone() /></td>
                                            <th scope="row"><a href=href>{item.summary.reference.clone()}</a></th>
                                            <td><StatusBadge status=item.summary.status.clone() /></td>
                                            <td>
                                                {item.customer_ref.clone()}
                                                {item.customer_is_vip.then(|| view! { " " <span class="badge badge-vip">{texts.vip_badge}</span> })}
                                            </td>
                                            <td>{item.assignee.clone().unwrap_or_else(|| texts.unassigned.to_owned())}</td>
                                            <td>{lang.texts().short_date(item.summary.received_on)}</td>
                                            <td>{item.summary.event_count}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </main>
    }
}
