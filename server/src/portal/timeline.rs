//! Loads one page of the signed-in customer's timeline; shared by the page and the JSON API.

use std::sync::Arc;

use chrono::Utc;

use app::backend::Caller;
use app::dto::{FilterOptions, LogCoverage, TimelinePage, TimelineQuery};
use app::i18n::Lang;

use crate::auth::CustomerSession;
use crate::db::lookup::LookupCache;
use crate::db::{access_event, AnyConnection};
use crate::display::{timeline_entry, Labeller};
use crate::domain::time::local_date;
use crate::domain::{AccessEventId, TimelineCursor, TimelineFilter};
use crate::error::AppError;
use crate::state::AppState;
use crate::transparency::witness::submit::Witnessing;
use crate::transparency::witness::witnessed::newest_witnessed;

/// Who cosigned the log's newest checkpoint that the witness policy counts as witnessed.
fn witnessed_by(
    conn: &mut AnyConnection,
    policy: &crate::transparency::witness::Policy,
) -> Result<Vec<String>, AppError> {
    Ok(newest_witnessed(conn, policy, -1)?.map_or_else(Vec::new, |(_, witnessed)| witnessed.by))
}

/// One page for `session`'s customer; the JSON API's route, whose extractor has resolved the
/// session.
#[tracing::instrument(skip_all)]
pub async fn load_page(
    state: &AppState,
    session: CustomerSession,
    lang: Lang,
    query: TimelineQuery,
) -> Result<TimelinePage, AppError> {
    let sources = PageSources::of(state);
    state
        .db
        .run(move |conn| read_page(conn, session, lang, query, &sources))
        .await
}

/// One page for the caller's customer, the session resolved on the same connection: the page's
/// route, where a second trip to the pool (a blocking-thread hop and a connection check) was a
/// measurable share of the page's cost.
#[tracing::instrument(skip_all)]
pub async fn load_page_for(
    state: &AppState,
    caller: &Caller,
    lang: Lang,
    query: TimelineQuery,
) -> Result<TimelinePage, AppError> {
    let token = CustomerSession::token(state, caller)?;
    let sources = PageSources::of(state);
    state
        .db
        .run(move |conn| {
            let session = CustomerSession::resolve_on(conn, &token, Utc::now().naive_utc())?;
            read_page(conn, session, lang, query, &sources)
        })
        .await
}

/// What reading a page needs from the state besides the connection.
struct PageSources {
    witnessing: Option<Arc<Witnessing>>,
    lookup_cache: Arc<LookupCache>,
}

impl PageSources {
    fn of(state: &AppState) -> Self {
        Self {
            witnessing: state.witnessing.clone(),
            lookup_cache: state.lookups.clone(),
        }
    }
}

fn read_page(
    conn: &mut AnyConnection,
    session: CustomerSession,
    lang: Lang,
    query: TimelineQuery,
    sources: &PageSources,
) -> Result<TimelinePage, AppError> {
    let customer_ref = session.customer_ref()?;
    let viewer = session.viewer();
    let customer = session.customer;
    let PageSources {
        witnessing,
        lookup_cache,
    } = sources;
    let now = Utc::now().naive_utc();
    let time_zone = customer.time_zone();
    let filter = TimelineFilter::parse(&query, time_zone)?;

    let mut rows = access_event::explained_timeline_page(conn, &customer_ref, &filter, now)?;
    let next_cursor = if rows.len() > filter.limit as usize {
        rows.truncate(filter.limit as usize);
        rows.last().map(|last| {
            TimelineCursor {
                occurred_at: last.access.occurred_at,
                id: AccessEventId(last.access.id),
            }
            .encode()
        })
    } else {
        None
    };

    let lookups = lookup_cache.get(conn)?;
    let labels = Labeller::new(&lookups, lang);
    let explanations =
        crate::explain::text::views_of_explained(conn, &rows, lang, time_zone, &lookups.kinds)?;
    let entries = rows
        .iter()
        .zip(explanations)
        .map(|(row, explanation)| {
            let mut entry = timeline_entry(&row.access, &labels, time_zone);
            entry.explanation = Some(explanation);
            entry
        })
        .collect();
    let coverage = LogCoverage {
        since: lookups
            .systems
            .iter()
            .map(|s| s.covered_since)
            .min()
            .map(|t| local_date(t, time_zone)),
        systems: lookups.systems.iter().map(|s| s.label.clone()).collect(),
        witnessed_by: match witnessing {
            Some(witnessing) => witnessed_by(conn, &witnessing.policy)?,
            None => Vec::new(),
        },
    };
    let filter_options = FilterOptions {
        categories: labels.options(lookups.categories.iter().map(|c| c.code.as_str()), |c| {
            labels.category(c)
        }),
        roles: labels.options(lookups.roles.iter().map(|r| r.code.as_str()), |c| {
            labels.role(c).0
        }),
        reasons: labels.options(lookups.reasons.iter().map(|r| r.code.as_str()), |c| {
            labels.reason(c)
        }),
    };
    Ok(TimelinePage {
        entries,
        next_cursor,
        time_zone: time_zone.name().to_owned(),
        coverage,
        filter_options,
        viewer,
    })
}
