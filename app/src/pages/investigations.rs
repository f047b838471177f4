//! The privacy team's investigations (`/staff/investigations`, `/staff/investigations/:reference`)
//! and the admin's detection settings (`/staff/admin/detection`). Plain forms throughout, so
//! they work without JavaScript.

use crate::components::page_title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::page_loader::page_loader;
use crate::components::problem::Notice;
use crate::components::site_header::{SiteFooter, SiteHeader};
use crate::current_lang;
use crate::dto::investigations::{DetectionSettings, InvestigationQueue, InvestigationView};
use crate::server_fns::{load_detection_settings, load_investigation, load_investigations};

#[component]
pub fn InvestigationsPage() -> impl IntoView {
    let lang = current_lang();
    let query = use_query_map();
    let all = Memo::new(move |_| query.read().get("all").as_deref() == Some("1"));
    let queue = Resource::new(move || all.get(), load_investigations);
    view! {
        <PageTitle text=lang.explanations().queue_title />
        {page_loader(queue, "/staff/login?notice=session".into(), "/staff/login", true, |queue| view! { <Queue queue /> })}
        <SiteFooter />
    }
}

fn status_badge(status: &str) -> impl IntoView {
    let texts = current_lang().explanations();
    let class = format!("badge investigation-{status}");
    view! { <span class=class>{texts.status(status)}</span> }
}

#[component]
fn Queue(queue: InvestigationQueue) -> impl IntoView {
    let lang = current_lang();
    let texts = lang.explanations();
    let backoffice = lang.backoffice();
    let (toggle_href, toggle_label) = if queue.all {
        ("/staff/investigations", texts.show_open)
    } else {
        ("/staff/investigations?all=1", texts.show_all)
    };
    view! {
        <SiteHeader signed_in_as=format!("{} ({})", queue.viewer.name, backoffice.role_label(&queue.viewer.role)) staff=true staff_role=queue.viewer.role.clone() />
        <main id="main" class="page wide">
            <h1>{texts.queue_title}</h1>
            <p class="lead">{texts.queue_intro}</p>
            <p><a href=toggle_href>{toggle_label}</a></p>
            {if queue.cases.is_empty() {
                view! { <section class="empty-state"><p>{texts.queue_empty}</p></section> }.into_any()
            } else {
                view! {
                    <div class="table-scroll">
                        <table class="queue investigations cards">
                            <thead>
                                <tr>
                                    <th scope="col">{texts.col_reference}</th>
                                    <th scope="col">{texts.col_employee}</th>
                                    <th scope="col">{texts.col_accesses}</th>
                                    <th scope="col">{texts.col_customers}</th>
                                    <th scope="col">{texts.col_score}</th>
                                    <th scope="col">{texts.col_opened}</th>
                                    <th scope="col">{texts.col_status}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {queue.cases.into_iter().map(|case| {
                                    let href = format!("/staff/investigations/{}", case.reference);
                                    view! {
                                        <tr data-investigation=case.reference.clone() data-employee=case.employee_id.clone()>
                                            <th scope="row"><a href=href>{case.reference.clone()}</a></th>
                                            <td data-label=texts.col_employee>{case.employee_id.clone()}</td>
                                            <td class="number" data-label=texts.col_accesses>{case.flagged}</td>
                                            <td class="number" data-label=texts.col_customers>{case.customers}</td>
                                            <td class="number" data-label=texts.col_score>{case.score}</td>
                                            <td data-label=texts.col_opened>{case.opened_at.clone()}</td>
                                            <td data-label=texts.col_status>{status_badge(&case.status)}</td>
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

#[component]
pub fn InvestigationPage() -> impl IntoView {
    let lang = current_lang();
    let params = use_params_map();
    let reference = Memo::new(move |_| params.read().get("reference").unwrap_or_default());
    let case = Resource::new(move || reference.get(), load_investigation);
    view! {
        <PageTitle text=lang.explanations().queue_title />
        {page_loader(case, "/staff/login?notice=session".into(), "/staff/investigations", true, |case| view! { <Case case /> })}
        <SiteFooter />
    }
}

#[component]
fn Case(case: InvestigationView) -> impl IntoView {
    let lang = current_lang();
    let texts = lang.explanations();
    let backoffice = lang.backoffice();
    let query = use_query_map();
    let (notice, error) = {
        let q = query.read_untracked();
        (q.get("notice"), q.get("error"))
    };
    let reference = case.summary.reference.clone();
    let note_action = format!("/staff/investigations/{reference}/note");
    let decide_action = format!("/staff/investigations/{reference}/decide");
    let pattern = case.pattern.clone();
    view! {
        <SiteHeader signed_in_as=format!("{} ({})", case.viewer.name, backoffice.role_label(&case.viewer.role)) staff=true staff_role=case.viewer.role.clone() />
        <main id="main" class="page wide">
            <p><a href="/staff/investigations">{texts.queue_title}</a></p>
            <h1>{texts.case_title.replace("{reference}", &reference)} " " {status_badge(&case.summary.status)}</h1>
            {notice.map(|_| view! { <Notice message=texts.saved /> })}
            {error.map(|code| view! { <Notice message=texts.error_message(&code) error=true /> })}
            <dl class="case-facts">
                <div class="fact"><dt>{texts.col_employee}</dt><dd>{case.summary.employee_id.clone()}</dd></div>
                <div class="fact"><dt>{texts.col_accesses}</dt><dd>{case.summary.flagged}</dd></div>
                <div class="fact"><dt>{texts.col_customers}</dt><dd>{case.summary.customers}</dd></div>
                <div class="fact"><dt>{texts.col_score}</dt><dd>{case.summary.score}</dd></div>
                <div class="fact"><dt>{texts.col_opened}</dt><dd>{case.summary.opened_at.clone()}</dd></div>
            </dl>
            <section aria-labelledby="pattern-heading" class="employee-pattern">
                <h2 id="pattern-heading">{texts.usual_pattern}</h2>
                {if pattern.in_directory {
                    view! {
                        <dl class="case-facts">
                            <div class="fact"><dt>{texts.team}</dt><dd>{pattern.team.clone().unwrap_or_default()}</dd></div>
                            <div class="fact"><dt>{texts.shift}</dt><dd>{pattern.shift.clone().unwrap_or_default()}</dd></div>
                            <div class="fact"><dt>{texts.usual_per_day}</dt><dd>{pattern.customers_per_day.clone()}</dd></div>
                            <div class="fact"><dt>{texts.usual_hours}</dt><dd>{pattern.usual_hours.clone()}</dd></div>
                        </dl>
                    }.into_any()
                } else {
                    view! {
                        <p>{texts.no_directory_entry}</p>
                        <dl class="case-facts">
                            <div class="fact"><dt>{texts.usual_per_day}</dt><dd>{pattern.customers_per_day.clone()}</dd></div>
                            <div class="fact"><dt>{texts.usual_hours}</dt><dd>{pattern.usual_hours.clone()}</dd></div>
                        </dl>
                    }.into_any()
                }}
            </section>
            <section aria-labelledby="evidence-heading">
                <h2 id="evidence-heading">{texts.evidence_heading}</h2>
                <div class="table-scroll">
                    <table class="queue evidence cards">
                        <thead>
                            <tr>
                                <th scope="col">{texts.col_when}</th>
                                <th scope="col">{texts.col_customer}</th>
                                <th scope="col">{texts.col_what}</th>
                                <th scope="col">{lang.admin().col_reason}</th>
                                <th scope="col">{texts.col_rules}</th>
                                <th scope="col">{texts.col_context}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {case.accesses.into_iter().map(|access| view! {
                                <tr data-access=access.id.clone()>
                                    <td data-label=texts.col_when>{access.occurred_at.clone()}</td>
                                    <td data-label=texts.col_customer>
                                        {access.customer_ref.clone()}
                                        {access.high_profile.then(|| view! { " " <span class="badge badge-vip">{backoffice.vip_badge}</span> })}
                                    </td>
                                    <td data-label=texts.col_what>{access.role.clone()} ": " {access.action.clone()} " · " {access.data_category.clone()}</td>
                                    <td data-label=lang.admin().col_reason>
                                        {access.reason.label.clone()}
                                        {access.ticket.clone().map(|t| view! { " (" {t} ")" })}
                                        {access.reason_text.clone().map(|t| view! { <q class="reason-text">{t}</q> })}
                                    </td>
                                    <td data-label=texts.col_rules>
                                        <ul class="findings">
                                            {access.findings.into_iter().map(|f| view! { <li data-rule=f.code.clone()>{f.text}</li> }).collect_view()}
                                        </ul>
                                    </td>
                                    <td data-label=texts.col_context>{access.record.clone().unwrap_or_else(|| texts.no_context.to_owned())}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </section>
            {case.outcome_reason.clone().map(|reason| view! {
                <section class="decision"><h2>{texts.history_decided}</h2><p>{reason}</p></section>
            })}
            {case.can_work.then(|| view! {
                <form method="post" action=note_action class="action">
                    <label for="note">{texts.note_label}</label>
                    <textarea id="note" name="note" rows="3" required maxlength="2000"></textarea>
                    <button type="submit">{texts.note_button}</button>
                </form>
            })}
            {case.can_decide.then(|| view! {
                <form method="post" action=decide_action class="action decide">
                    <h2>{texts.decide_heading}</h2>
                    <fieldset>
                        <legend class="visually-hidden">{texts.decide_heading}</legend>
                        <div class="choice">
                            <input type="radio" id="outcome-appropriate" name="outcome" value="appropriate" required />
                            <label for="outcome-appropriate">{texts.outcome_appropriate}</label>
                        </div>
                        <div class="choice">
                            <input type="radio" id="outcome-violation" name="outcome" value="violation" />
                            <label for="outcome-violation">{texts.outcome_violation}</label>
                        </div>
                    </fieldset>
                    <label for="reason">{texts.outcome_reason_label}</label>
                    <textarea id="reason" name="reason" rows="3" required maxlength="2000"></textarea>
                    <div class="choice">
                        <input type="checkbox" id="notify" name="notify" value="1" checked />
                        <label for="notify">{texts.notify_label}</label>
                    </div>
                    <button type="submit" class="primary">{texts.decide_button}</button>
                </form>
            })}
            <section aria-labelledby="history-heading">
                <h2 id="history-heading">{texts.history_heading}</h2>
                <ol class="history">
                    {case.history.into_iter().map(|step| view! {
                        <li>
                            <span class="history-at">{step.at.clone()}</span> " "
                            <strong>{texts.history(&step.kind)}</strong>
                            {step.who.clone().map(|w| view! { " · " {w} })}
                            {step.body.clone().map(|b| view! { <p class="history-body">{b}</p> })}
                        </li>
                    }).collect_view()}
                </ol>
            </section>
        </main>
    }
}

#[component]
pub fn DetectionSettingsPage() -> impl IntoView {
    let lang = current_lang();
    let settings = Resource::new(|| (), |_| load_detection_settings());
    view! {
        <PageTitle text=lang.admin().detection_title />
        {page_loader(settings, "/staff/login?notice=session".into(), "/staff/login", true, |settings| view! { <Detection settings /> })}
        <SiteFooter />
    }
}

#[component]
fn Detection(settings: DetectionSettings) -> impl IntoView {
    let lang = current_lang();
    let texts = lang.admin();
    let backoffice = lang.backoffice();
    let query = use_query_map();
    let (notice, error) = {
        let q = query.read_untracked();
        (q.get("notice"), q.get("error"))
    };
    let kinds = settings.kinds.clone();
    view! {
        <SiteHeader signed_in_as=format!("{} ({})", settings.viewer.name, backoffice.role_label(&settings.viewer.role)) staff=true staff_role=settings.viewer.role.clone() />
        <main id="main" class="page wide">
            <h1>{texts.detection_title}</h1>
            <p class="lead">{texts.detection_intro}</p>
            {notice.map(|_| view! { <Notice message=texts.saved /> })}
            {error.map(|code| view! { <Notice message=texts.error_message(&code) error=true /> })}
            <form method="post" action="/staff/admin/detection/rules" class="action" id="rules">
                <h2>{texts.rules_heading}</h2>
                <ul class="rules">
                    {settings.rules.into_iter().map(|rule| {
                        let enabled_id = format!("enabled_{}", rule.code);
                        let threshold_id = format!("threshold_{}", rule.code);
                        view! {
                            <li class="rule" data-rule=rule.code.clone()>
                                <div class="choice">
                                    <input type="checkbox" id=enabled_id.clone() name=enabled_id.clone() value="1" checked=rule.enabled />
                                    <label for=enabled_id>{rule.description.clone()}</label>
                                </div>
                                {rule.threshold_meaning.clone().map(|meaning| view! {
                                    <label for=threshold_id.clone() class="small">{meaning}</label>
                                    <input type="text" inputmode="decimal" id=threshold_id.clone() name=threshold_id.clone()
                                        value=rule.threshold.map(|t| t.to_string()).unwrap_or_default() />
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <button type="submit" class="primary">{texts.save_rules}</button>
            </form>
            <form method="post" action="/staff/admin/detection/fit" class="action" id="fit">
                <h2>{texts.fit_heading}</h2>
                <p class="small">{texts.fit_intro}</p>
                <div class="table-scroll">
                    <table class="queue fit">
                        <thead>
                            <tr>
                                <th scope="col">{texts.col_role}</th>
                                {kinds.iter().map(|k| view! { <th scope="col">{k.label.clone()}</th> }).collect_view()}
                            </tr>
                        </thead>
                        <tbody>
                            {settings.roles.into_iter().map(|role| {
                                let kinds = kinds.clone();
                                view! {
                                    <tr>
                                        <th scope="row">{role.label.clone()}</th>
                                        {kinds.into_iter().map(|kind| {
                                            let value = format!("{}:{}", role.code, kind.code);
                                            let label = format!("{} – {}", role.label, kind.label);
                                            let checked = role.kinds.contains(&kind.code);
                                            view! {
                                                <td class="center">
                                                    <input type="checkbox" name="fit" value=value checked=checked aria-label=label />
                                                </td>
                                            }
                                        }).collect_view()}
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <h3>{texts.windows_heading}</h3>
                <div class="windows">
                    {settings.kinds.into_iter().map(|kind| {
                        let before = format!("before_{}", kind.code);
                        let after = format!("after_{}", kind.code);
                        view! {
                            <fieldset class="window">
                                <legend>{kind.label.clone()}</legend>
                                <label for=before.clone()>{texts.hours_before}</label>
                                <input type="number" min="0" max="8784" id=before.clone() name=before value=kind.hours_before.to_string() />
                                <label for=after.clone()>{texts.hours_after}</label>
                                <input type="number" min="0" max="8784" id=after.clone() name=after value=kind.hours_after.to_string() />
                            </fieldset>
                        }
                    }).collect_view()}
                </div>
                <button type="submit" class="primary">{texts.save_fit}</button>
            </form>
        </main>
    }
}
