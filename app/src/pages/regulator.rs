use crate::components::page_title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::page_loader::page_loader;
use crate::components::problem::Notice;
use crate::components::site_header::{SiteFooter, SiteHeader};
use crate::current_lang;
use crate::dto::backoffice::StaffViewer;
use crate::dto::regulator::{RegulatorCaseView, RegulatorCases};
use crate::server_fns::{load_regulator_case, load_regulator_cases};

fn staff_header(viewer: &StaffViewer) -> impl IntoView {
    let backoffice = current_lang().backoffice();
    view! {
        <SiteHeader signed_in_as=format!("{} ({})", viewer.name, backoffice.role_label(&viewer.role)) staff=true staff_role=viewer.role.clone() />
    }
}

/// `/staff/regulator`: the authority's cases and the form to open one.
#[component]
pub fn RegulatorCasesPage() -> impl IntoView {
    let lang = current_lang();
    let cases = Resource::new(|| (), |_| load_regulator_cases());
    view! {
        <PageTitle text=lang.regulator().cases_title />
        {page_loader(cases, "/staff/login?notice=session".into(), "/staff/login", true, |cases| view! { <CaseList cases /> })}
        <SiteFooter />
    }
}

#[component]
fn CaseList(cases: RegulatorCases) -> impl IntoView {
    let lang = current_lang();
    let texts = lang.regulator();
    let query = use_query_map();
    // After a refusal the form holds what was typed.
    let typed = |name: &str| query.read_untracked().get(name).unwrap_or_default();
    let error = query.read_untracked().get("error");
    let from = Some(typed("from"))
        .filter(|v| !v.is_empty())
        .unwrap_or(cases.default_from.clone());
    let to = Some(typed("to"))
        .filter(|v| !v.is_empty())
        .unwrap_or(cases.default_to.clone());
    let invalid = |field: &str| (error.as_deref() == Some(field)).then_some("true");
    view! {
        {staff_header(&cases.viewer)}
        <main id="main" class="page wide">
            <h1>{texts.cases_title}</h1>
            <p class="lead">{cases.authority.clone()} " · " {texts.cases_intro}</p>
            {if cases.cases.is_empty() {
                view! { <p class="empty-state">{texts.no_cases}</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll">
                        <table class="queue regulator-cases">
                            <thead>
                                <tr>
                                    <th scope="col">{texts.col_reference}</th>
                                    <th scope="col">{texts.col_subject}</th>
                                    <th scope="col">{texts.col_period}</th>
                                    <th scope="col">{texts.col_opened}</th>
                                    <th scope="col">{texts.col_state}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {cases.cases.clone().into_iter().map(|case| view! {
                                    <tr>
                                        <th scope="row"><a href=format!("/staff/regulator/cases/{}", case.id)>{case.reference.clone()}</a></th>
                                        <td>{case.subject_ref.clone()}</td>
                                        <td>{format!("{} – {}", case.period_from, case.period_to)}</td>
                                        <td>{case.opened_at.clone()}</td>
                                        <td>
                                            {if case.closed { texts.closed_state } else { texts.open_state }}
                                            {case.confidential.then(|| format!(" · {}", texts.confidential))}
                                        </td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }}
            <form method="post" action="/staff/regulator/cases" class="action" id="open-case">
                <h2>{texts.open_heading}</h2>
                {error.clone().map(|code| view! { <Notice message=texts.error_message(&code) error=true /> })}
                <label for="case-reference">{texts.reference_label}</label>
                <p class="small" id="case-reference-hint">{texts.reference_hint}</p>
                <input id="case-reference" name="reference" type="text" required maxlength="64" value=typed("reference") aria-invalid=invalid("reference").or(invalid("reference_taken")) aria-describedby="case-reference-hint" />
                <label for="case-legal-basis">{texts.legal_basis_label}</label>
                <p class="small" id="case-legal-basis-hint">{texts.legal_basis_hint}</p>
                <input id="case-legal-basis" name="legal_basis" type="text" required maxlength="500" value=typed("legal_basis") aria-invalid=invalid("legal_basis") aria-describedby="case-legal-basis-hint" />
                <label for="case-subject">{texts.subject_label}</label>
                <p class="small" id="case-subject-hint">{texts.subject_hint}</p>
                <input id="case-subject" name="customer_ref" type="text" required maxlength="32" value=typed("customer_ref") aria-invalid=invalid("customer_ref") aria-describedby="case-subject-hint" />
                <div class="field-row">
                    <div class="field">
                        <label for="case-from">{texts.from_label}</label>
                        <input id="case-from" name="from" type="date" required value=from aria-invalid=invalid("from") />
                    </div>
                    <div class="field">
                        <label for="case-to">{texts.to_label}</label>
                        <input id="case-to" name="to" type="date" required value=to aria-invalid=invalid("to") />
                    </div>
                </div>
                <div class="choice">
                    <input id="case-confidential" name="confidential" type="checkbox" value="1" aria-describedby="case-confidential-hint" />
                    <label for="case-confidential">{texts.confidential_label}</label>
                </div>
                <p class="small" id="case-confidential-hint">{texts.confidential_hint}</p>
                <button type="submit" class="primary">{texts.open_button}</button>
            </form>
        </main>
    }
}

/// `/staff/regulator/cases/{id}`: one case, its report downloads and its log.
#[component]
pub fn RegulatorCasePage() -> impl IntoView {
    let lang = current_lang();
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let case = Resource::new(move || id.get(), load_regulator_case);
    view! {
        <PageTitle text=lang.regulator().case_title />
        {page_loader(case, "/staff/login?notice=session".into(), "/staff/regulator", true, |case| view! { <CaseView case /> })}
        <SiteFooter />
    }
}

#[component]
fn CaseView(case: RegulatorCaseView) -> impl IntoView {
    let lang = current_lang();
    let texts = lang.regulator();
    let reports = lang.reports();
    let closed_notice = use_query_map()
        .read_untracked()
        .get("notice")
        .filter(|n| n == "closed");
    let report_url = |format: &str| {
        format!(
            "/staff/regulator/cases/{}/report?format={format}&lang={}",
            case.id,
            lang.code()
        )
    };
    view! {
        {staff_header(&case.viewer)}
        <main id="main" class="page">
            <p><a href="/staff/regulator">{texts.back}</a></p>
            <h1>{texts.case_title} " " {case.reference.clone()}</h1>
            {closed_notice.map(|_| view! { <Notice message=texts.closed_notice /> })}
            <dl class="facts">
                <dt>{texts.authority}</dt><dd>{case.authority.clone()}</dd>
                <dt>{texts.legal_basis}</dt><dd>{case.legal_basis.clone()}</dd>
                <dt>{texts.subject}</dt><dd>{format!("{} · {}", case.subject_ref, case.subject_name)}</dd>
                <dt>{texts.period}</dt><dd>{format!("{} – {}", case.period_from, case.period_to)}</dd>
                <dt>{texts.accesses_in_period}</dt><dd>{case.accesses_in_period}</dd>
                <dt>{texts.opened}</dt><dd>{format!("{} · {}", case.opened_at, case.opened_by)}</dd>
                {case.closed_at.clone().map(|at| view! { <dt>{texts.closed}</dt><dd>{at}</dd> })}
                <dt>{texts.visibility}</dt><dd>{if case.confidential { texts.visible_on_close } else { texts.visible_now }}</dd>
            </dl>
            <section aria-labelledby="report-heading">
                <h2 id="report-heading">{texts.report_heading}</h2>
                <p>{texts.report_intro}</p>
                <ul class="report-links">
                    <li><a href=report_url("pdf") rel="external">{reports.format_pdf}</a></li>
                    <li><a href=report_url("html") rel="external">{reports.format_html}</a></li>
                    <li><a href=report_url("json") rel="external">{reports.format_json}</a></li>
                    <li><a href=report_url("csv") rel="external">{reports.format_csv}</a></li>
                </ul>
            </section>
            <section aria-labelledby="log-heading">
                <h2 id="log-heading">{texts.log_heading}</h2>
                <p class="small">{texts.log_intro}</p>
                <ol class="history">
                    {case.actions.clone().into_iter().map(|action| view! {
                        <li>
                            <strong>{texts.action_label(&action.kind)}</strong>
                            {action.detail.clone().map(|d| format!(" ({})", d.to_uppercase()))}
                            " · " {action.at.clone()} " · " {action.who.clone()}
                        </li>
                    }).collect_view()}
                </ol>
            </section>
            {case.closed_at.is_none().then(|| view! {
                <form method="post" action=format!("/staff/regulator/cases/{}/close", case.id) class="action">
                    <h2>{texts.close_heading}</h2>
                    <p>{texts.close_body}</p>
                    <button type="submit">{texts.close_button}</button>
                </form>
            })}
        </main>
    }
}
