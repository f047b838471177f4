use crate::components::page_title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::page_loader::page_loader;
use crate::components::problem::Notice;
use crate::components::site_header::{SiteFooter, SiteHeader};
use crate::current_lang;
use crate::dto::admin::{DeadLetterDetail, FeedAdmin};
use crate::server_fns::{load_dead_letter, load_feed_admin};

/// `/staff/admin/feed`: ingest health per source, dead letters, unknown codes, feed tokens.
#[component]
pub fn AdminFeedPage() -> impl IntoView {
    let lang = current_lang();
    let feed = Resource::new(|| (), |_| load_feed_admin());
    view! {
        <PageTitle text=lang.admin().feed_title />
        {page_loader(feed, "/staff/login?notice=session".into(), "/staff/login", true, |feed| view! { <Feed feed /> })}
        <SiteFooter />
    }
}

#[component]
fn Feed(feed: FeedAdmin) -> impl IntoView {
    let lang = current_lang();
    let texts = lang.admin();
    let backoffice = lang.backoffice();
    let query = use_query_map();
    let (notice, error) = {
        let q = query.read_untracked();
        (q.get("notice"), q.get("error"))
    };
    view! {
        <SiteHeader signed_in_as=format!("{} ({})", feed.viewer.name, backoffice.role_label(&feed.viewer.role)) staff=true staff_role=feed.viewer.role.clone() />
        <main id="main" class="page wide">
            <h1>{texts.feed_title}</h1>
            {notice.filter(|n| n == "revoked").map(|_| view! { <Notice message=texts.token_revoked /> })}
            {error.map(|code| view! { <Notice message=texts.error_message(&code) error=true /> })}

            <section aria-labelledby="health-heading">
                <h2 id="health-heading">{texts.health_heading}</h2>
                {if feed.sources.is_empty() {
                    view! { <p class="empty-state">{texts.health_empty}</p> }.into_any()
                } else {
                    view! {
                        <div class="table-scroll">
                            <table class="queue source-health">
                                <thead><tr>
                                    <th scope="col">{texts.col_source}</th>
                                    <th scope="col">{texts.col_last_hour}</th>
                                    <th scope="col">{texts.col_per_minute}</th>
                                    <th scope="col">{texts.col_rejected_day}</th>
                                    <th scope="col">{texts.col_last_event}</th>
                                </tr></thead>
                                <tbody>
                                    {feed.sources.into_iter().map(|s| {
                                        let silent = s.minutes_since_last >= 60;
                                        let source = if s.source.is_empty() { texts.unreadable_source.to_owned() } else { s.source.clone() };
                                        view! {
                                            <tr class:overdue=silent data-source=s.source.clone()>
                                                <th scope="row"><code>{source}</code></th>
                                                <td class="accepted-last-hour">{s.accepted_last_hour}</td>
                                                <td>{s.per_minute.clone()}</td>
                                                <td class="rejected-last-day">{s.rejected_last_day}</td>
                                                <td>
                                                    {s.last_received_at.clone()}
                                                    {silent.then(|| view! { " " <span class="badge badge-overdue">{texts.silent.replace("{n}", &s.minutes_since_last.to_string())}</span> })}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any()
                }}
            </section>

            <section aria-labelledby="dead-heading">
                <h2 id="dead-heading">{texts.dead_letters_heading} " " <span class="badge">{texts.dead_letters_open.replace("{n}", &feed.open_dead_letters.to_string())}</span></h2>
                {if feed.dead_letters.is_empty() {
                    view! { <p class="empty-state">{texts.dead_letters_empty}</p> }.into_any()
                } else {
                    view! {
                        <div class="table-scroll">
                            <table class="queue dead-letters">
                                <thead><tr>
                                    <th scope="col">{texts.col_received}</th>
                                    <th scope="col">{texts.col_transport}</th>
                                    <th scope="col">{texts.col_source}</th>
                                    <th scope="col">{texts.col_event}</th>
                                    <th scope="col">{texts.col_reason}</th>
                                    <th scope="col"><span class="visually-hidden">{texts.inspect}</span></th>
                                </tr></thead>
                                <tbody>
                                    {feed.dead_letters.into_iter().map(|d| {
                                        let href = format!("/staff/admin/dead-letters/{}", d.id);
                                        view! {
                                            <tr data-dead-letter=d.id.to_string()>
                                                <td>{d.received_at.clone()}</td>
                                                <td>{d.transport.clone()}</td>
                                                <td><code>{d.source.clone().unwrap_or_default()}</code></td>
                                                <td><code>{d.event_id.clone().unwrap_or_default()}</code></td>
                                                <td class="prewrap">{d.reason.clone()} {d.replayed.then(|| view! { " " <span class="badge">{texts.replayed}</span> })}</td>
                                                <td><a href=href>{texts.inspect}</a></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any()
                }}
            </section>

            <section aria-labelledby="emails-heading">
                <h2 id="emails-heading">{texts.emails_heading}</h2>
                <p class="small">{texts.emails_intro}</p>
                <p class="oldest-unsent" class:overdue=feed.oldest_unsent.is_some()>
                    {match feed.oldest_unsent.clone() {
                        Some(at) => format!("{} {at}", texts.oldest_unsent),
                        None => texts.nothing_unsent.to_owned(),
                    }}
                </p>
                {if feed.email_days.is_empty() {
                    view! { <p class="empty-state">{texts.emails_empty}</p> }.into_any()
                } else {
                    view! {
                        <div class="table-scroll">
                        <table class="queue email-days">
                            <thead><tr>
                                <th scope="col">{texts.col_day}</th>
                                <th scope="col">{texts.col_queued}</th>
                                <th scope="col">{texts.col_sent}</th>
                                <th scope="col">{texts.col_failed}</th>
                            </tr></thead>
                            <tbody>
                                {feed.email_days.into_iter().map(|d| {
                                    let failing = d.failed > 0;
                                    view! {
                                    <tr data-day=d.day.clone()>
                                        <th scope="row"><time datetime=d.day.clone()>{d.day.clone()}</time></th>
                                        <td class="queued">{d.queued}</td>
                                        <td class="sent">{d.sent}</td>
                                        <td class="failed" class:overdue=failing>{d.failed}</td>
                                    </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        </div>
                    }.into_any()
                }}
            </section>

            <section aria-labelledby="unknown-heading">
                <h2 id="unknown-heading">{texts.unknown_heading}</h2>
                <p class="small">{texts.unknown_intro}</p>
                {if feed.unknown_codes.is_empty() {
                    view! { <p class="empty-state">{texts.unknown_empty}</p> }.into_any()
                } else {
                    view! {
                        <table class="queue unknown-codes">
                            <thead><tr>
                                <th scope="col">{texts.col_kind}</th>
                                <th scope="col">{texts.col_code}</th>
                                <th scope="col">{texts.col_events}</th>
                                <th scope="col">{texts.col_last_event}</th>
                            </tr></thead>
                            <tbody>
                                {feed.unknown_codes.into_iter().map(|u| view! {
                                    <tr><td>{texts.kind_label(&u.kind)}</td><th scope="row"><code>{u.code.clone()}</code></th><td>{u.events}</td><td>{u.last_seen_at.clone()}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }}
            </section>

            <section aria-labelledby="tokens-heading">
                <h2 id="tokens-heading">{texts.tokens_heading}</h2>
                {if feed.tokens.is_empty() {
                    view! { <p class="empty-state">{texts.tokens_empty}</p> }.into_any()
                } else {
                    view! {
                        <table class="queue feed-tokens">
                            <thead><tr>
                                <th scope="col">{texts.col_label}</th>
                                <th scope="col">{texts.col_sources}</th>
                                <th scope="col">{texts.col_created}</th>
                                <th scope="col"><span class="visually-hidden">{texts.revoke}</span></th>
                            </tr></thead>
                            <tbody>
                                {feed.tokens.into_iter().map(|t| {
                                    let action = format!("/staff/admin/feed/tokens/{}/revoke", t.id);
                                    view! {
                                        <tr data-token=t.id.to_string()>
                                            <th scope="row">{t.label.clone()}</th>
                                            <td>{t.sources.iter().map(|s| view! { <code>{s.clone()}</code> " " }).collect_view()}</td>
                                            <td>{t.created_at.clone()}</td>
                                            <td>
                                                {if t.revoked {
                                                    view! { <span class="badge">{texts.revoked}</span> }.into_any()
                                                } else {
                                                    view! { <form method="post" action=action><button type="submit" class="danger">{texts.revoke}</button></form> }.into_any()
                                                }}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }}
                <form method="post" action="/staff/admin/feed/tokens" class="action" id="new-token">
                    <h3>{texts.token_create_heading}</h3>
                    <label for="token-label">{texts.token_label_label}</label>
                    <input id="token-label" name="label" type="text" required maxlength="100" />
                    <label for="token-sources">{texts.token_sources_label}</label>
                    <p class="small" id="token-sources-hint">{texts.token_sources_hint}</p>
                    <textarea id="token-sources" name="sources" rows="3" required aria-describedby="token-sources-hint"></textarea>
                    <button type="submit" class="primary">{texts.token_create_button}</button>
                </form>
            </section>

            <section aria-labelledby="service-tokens-heading">
                <h2 id="service-tokens-heading">{texts.service_tokens_heading}</h2>
                <p>{texts.service_tokens_intro}</p>
                {if feed.service_tokens.is_empty() {
                    view! { <p class="empty-state">{texts.service_tokens_empty}</p> }.into_any()
                } else {
                    view! {
                        <table class="queue service-tokens">
                            <thead><tr>
                                <th scope="col">{texts.col_label}</th>
                                <th scope="col">{texts.col_created}</th>
                                <th scope="col"><span class="visually-hidden">{texts.revoke}</span></th>
                            </tr></thead>
                            <tbody>
                                {feed.service_tokens.into_iter().map(|t| {
                                    let action = format!("/staff/admin/service-tokens/{}/revoke", t.id);
                                    view! {
                                        <tr data-service-token=t.id.to_string()>
                                            <th scope="row">{t.label.clone()}</th>
                                            <td>{t.created_at.clone()}</td>
                                            <td>
                                                {if t.revoked {
                                                    view! { <span class="badge">{texts.revoked}</span> }.into_any()
                                                } else {
                                                    view! { <form method="post" action=action><button type="submit" class="danger">{texts.revoke}</button></form> }.into_any()
                                                }}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }}
                <form method="post" action="/staff/admin/service-tokens" class="action" id="new-service-token">
                    <h3>{texts.service_token_create_heading}</h3>
                    <label for="service-token-label">{texts.token_label_label}</label>
                    <input id="service-token-label" name="label" type="text" required maxlength="100" />
                    <button type="submit" class="primary">{texts.service_token_create_button}</button>
                </form>
            </section>
        </main>
    }
}

/// `/staff/admin/dead-letters/{id}`: one rejected event, its bytes and the replay button.
#[component]
pub fn AdminDeadLetterPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let letter = Resource::new(move || id.get(), load_dead_letter);
    view! {
        {page_loader(letter, "/staff/login?notice=session".into(), "/staff/admin/feed", true, |letter| view! { <DeadLetter letter /> })}
        <SiteFooter />
    }
}

#[component]
fn DeadLetter(letter: DeadLetterDetail) -> impl IntoView {
    let lang = current_lang();
    let texts = lang.admin();
    let backoffice = lang.backoffice();
    let query = use_query_map();
    let (notice, error) = {
        let q = query.read_untracked();
        (q.get("notice"), q.get("error"))
    };
    // The reason comes from the letter on the server, never from the URL.
    let reason = letter.replay_error.clone();
    let d = letter.summary.clone();
    let title = texts.dead_letter_title.replace("{id}", &d.id.to_string());
    let action = format!("/staff/admin/dead-letters/{}/replay", d.id);
    view! {
        <PageTitle text=title.clone() />
        <SiteHeader signed_in_as=format!("{} ({})", letter.viewer.name, backoffice.role_label(&letter.viewer.role)) staff=true staff_role=letter.viewer.role.clone() />
        <main id="main" class="page wide">
            <p class="breadcrumb"><a href="/staff/admin/feed">{texts.back_to_feed}</a></p>
            <h1>{title}</h1>
            {notice.map(|n| view! { <Notice message=if n == "stored" { texts.replay_stored } else { texts.replay_duplicate } /> })}
            {error.and(reason).map(|reason| view! { <Notice message=texts.replay_still_rejected.replace("{reason}", &reason) error=true /> })}
            <dl class="case-facts">
                <div class="fact"><dt>{texts.col_received}</dt><dd>{d.received_at.clone()}</dd></div>
                <div class="fact"><dt>{texts.col_transport}</dt><dd>{d.transport.clone()}</dd></div>
                <div class="fact"><dt>{texts.col_source}</dt><dd><code>{d.source.clone().unwrap_or_default()}</code></dd></div>
                <div class="fact"><dt>{texts.col_event}</dt><dd><code>{d.event_id.clone().unwrap_or_default()}</code></dd></div>
                <div class="fact"><dt>{texts.col_reason}</dt><dd class="dead-letter-reason">{d.reason.clone()}</dd></div>
                {d.replayed.then(|| view! { <div class="fact"><dt>{texts.col_state}</dt><dd>{texts.replayed}</dd></div> })}
            </dl>
            <section aria-labelledby="raw-heading">
                <h2 id="raw-heading">{texts.raw_heading} " (" {letter.byte_len} " B)"</h2>
                {match letter.raw_text.clone() {
                    Some(text) => view! { <pre class="raw">{text}</pre> }.into_any(),
                    None => view! { <p class="small">{texts.raw_not_text}</p> <pre class="raw">{letter.raw_base64.clone()}</pre> }.into_any(),
                }}
            </section>
            {(!d.replayed).then(|| view! {
                <form method="post" action=action class="action">
                    <h2>{texts.replay_heading}</h2>
                    <p>{texts.replay_body}</p>
                    <button type="submit" class="primary">{texts.replay_button}</button>
                </form>
            })}
        </main>
    }
}
