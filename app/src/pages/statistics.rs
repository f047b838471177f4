use crate::components::page_title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::page_loader::page_loader;
use crate::components::site_header::{SiteFooter, SiteHeader};
use crate::current_lang;
use crate::dto::statistics::{tenths, Count, StatisticsPage};
use crate::server_fns::load_statistics;

/// `/staff/statistics?from=&to=`: aggregate figures with charts drawn on the server, so they
/// show without JavaScript.
#[component]
pub fn StatisticsPageView() -> impl IntoView {
    let lang = current_lang();
    let query = use_query_map();
    let period = Memo::new(move |_| {
        let q = query.read();
        (q.get("from"), q.get("to"))
    });
    let figures = Resource::new(move || period.get(), |(from, to)| load_statistics(from, to));
    view! {
        <PageTitle text=lang.statistics().title />
        {page_loader(figures, "/staff/login?notice=session".into(), "/staff/statistics", true, |page| view! { <Figures page /> })}
        <SiteFooter />
    }
}

#[component]
fn Figures(page: StatisticsPage) -> impl IntoView {
    let lang = current_lang();
    let texts = lang.statistics();
    let backoffice = lang.backoffice();
    let f = page.figures;
    let a = f.accesses.clone();
    let d = f.disputes.clone();
    let export = |format: &str| {
        format!(
            "/staff/statistics/export?from={}&to={}&format={format}&lang={}",
            f.period_from,
            f.period_to,
            lang.code()
        )
    };
    let days = |v: Option<u64>| v.map(tenths).unwrap_or_else(|| "–".into());
    view! {
        <SiteHeader signed_in_as=format!("{} ({})", page.viewer.name, backoffice.role_label(&page.viewer.role)) staff=true staff_role=page.viewer.role.clone() />
        <main id="main" class="page wide">
            <h1>{texts.title}</h1>
            <p class="lead">{texts.intro}</p>
            <form method="get" action="/staff/statistics" class="filters">
                <div class="field-row">
                    <div class="field">
                        <label for="stats-from">{texts.from_label}</label>
                        <input type="date" id="stats-from" name="from" value=f.period_from.clone() />
                    </div>
                    <div class="field">
                        <label for="stats-to">{texts.to_label}</label>
                        <input type="date" id="stats-to" name="to" value=f.period_to.clone() />
                    </div>
                </div>
                <div class="filter-actions">
                    <button type="submit" class="primary">{texts.show}</button>
                    <span>{texts.export_heading} ": "</span>
                    <a href=export("csv") rel="external">"CSV"</a>
                    <a href=export("json") rel="external">"JSON"</a>
                    <a href=export("pdf") rel="external">"PDF"</a>
                </div>
            </form>
            <section aria-labelledby="accesses-heading">
                <h2 id="accesses-heading">{texts.accesses_heading}</h2>
                <dl class="facts key-figures">
                    <dt>{texts.total}</dt><dd id="total-accesses">{a.total}</dd>
                    <dt>{texts.without_reason}</dt><dd>{format!("{} ({} %)", a.without_reason, tenths(a.without_reason_permille))}</dd>
                    <dt>{texts.without_ticket}</dt><dd>{format!("{} ({} %)", a.without_ticket, tenths(a.without_ticket_permille))}</dd>
                    <dt>{texts.explained_share}</dt><dd id="explained-share">{format!("{} %", tenths(a.explained_permille))}</dd>
                </dl>
                {if a.total == 0 {
                    view! { <p class="empty-state">{texts.no_accesses}</p> }.into_any()
                } else {
                    view! {
                        <div class="charts">
                            <BarChart id="chart-role" title=texts.by_role counts=a.by_role.clone() />
                            <BarChart id="chart-category" title=texts.by_category counts=a.by_category.clone() />
                            <BarChart id="chart-reason" title=texts.by_reason counts=a.by_reason.clone() />
                        </div>
                        <p class="small">{texts.chart_note}</p>
                        <h3>{texts.explanation_heading}</h3>
                        <div class="table-scroll">
                            <table class="queue explanation-by-role">
                                <thead>
                                    <tr>
                                        <th scope="col">{texts.col_role}</th>
                                        <th scope="col" class="number">{texts.col_accesses}</th>
                                        <th scope="col" class="number">{texts.col_explained}</th>
                                        <th scope="col" class="number">{texts.col_flags}</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {a.explanation_by_role.clone().into_iter().map(|r| view! {
                                        <tr>
                                            <td>{r.role.label}</td>
                                            <td class="number">{r.accesses}</td>
                                            <td class="number">{format!("{} %", tenths(r.explained_permille))}</td>
                                            <td class="number">{r.flags_per_thousand}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        <h3>{texts.combinations_heading}</h3>
                        <div class="table-scroll">
                            <table class="queue combinations">
                                <thead>
                                    <tr>
                                        <th scope="col">{texts.col_role}</th>
                                        <th scope="col">{texts.col_category}</th>
                                        <th scope="col">{texts.col_reason}</th>
                                        <th scope="col" class="number">{texts.col_accesses}</th>
                                        <th scope="col" class="number">{texts.col_without_ticket}</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {a.combinations.clone().into_iter().map(|c| view! {
                                        <tr>
                                            <td>{c.role.label}</td>
                                            <td>{c.category.label}</td>
                                            <td>{c.reason.label}</td>
                                            <td class="number">{c.count}</td>
                                            <td class="number">{c.without_ticket}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }
                        .into_any()
                }}
            </section>
            <section aria-labelledby="disputes-heading">
                <h2 id="disputes-heading">{texts.disputes_heading}</h2>
                <BarChart id="chart-disputes" title=texts.disputes_heading counts=vec![
                    Count { code: "opened".into(), label: texts.opened.into(), count: d.opened },
                    Count { code: "upheld".into(), label: texts.upheld.into(), count: d.upheld },
                    Count { code: "rejected".into(), label: texts.rejected.into(), count: d.rejected },
                    Count { code: "withdrawn".into(), label: texts.withdrawn.into(), count: d.withdrawn },
                ] />
                <dl class="facts key-figures">
                    <dt>{texts.median}</dt><dd>{days(d.median_tenths_of_days_to_answer)}</dd>
                    <dt>{texts.p90}</dt><dd>{days(d.p90_tenths_of_days_to_answer)}</dd>
                    <dt>{texts.overdue_open}</dt><dd>{d.overdue_open}</dd>
                    <dt>{texts.answered_late}</dt><dd>{d.answered_late}</dd>
                </dl>
            </section>
        </main>
    }
}

/// Horizontal bars as inline SVG; the figure's accessible name lists every value.
#[component]
fn BarChart(id: &'static str, title: &'static str, counts: Vec<Count>) -> impl IntoView {
    // About the width the chart gets on a desktop column and a phone, so its text stays legible.
    const WIDTH: u64 = 440;
    const LABEL: u64 = 170;
    const ROW: u64 = 26;
    let largest = counts.iter().map(|c| c.count).max().unwrap_or(0);
    let height = ROW * counts.len().max(1) as u64 + 8;
    let summary = format!(
        "{title}: {}",
        counts
            .iter()
            .map(|c| format!("{} {}", c.label, c.count))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let bar_space = WIDTH - LABEL - 50;
    view! {
        <figure class="chart" id=id>
            <figcaption>{title}</figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {height}") width="100%" role="img" aria-label=summary xmlns="http://www.w3.org/2000/svg">
                {counts.into_iter().enumerate().map(|(row, c)| {
                    let y = row as u64 * ROW + 4;
                    let length = (bar_space * c.percent_of(largest) / 100).max(1);
                    let label = if c.label.chars().count() > 25 {
                        format!("{}…", c.label.chars().take(24).collect::<String>())
                    } else {
                        c.label.clone()
                    };
                    view! {
                        <g>
                            <title>{format!("{}: {}", c.label, c.count)}</title>
                            <text x="0" y=y + 15 class="chart-label">{label}</text>
                            <rect x=LABEL y=y + 3 width=length height="16" rx="2" class="chart-bar" />
                            <text x=LABEL + length + 6 y=y + 15 class="chart-value">{c.count}</text>
                        </g>
                    }
                }).collect_view()}
            </svg>
        </figure>
    }
}
