//! Loads one page of the signed-in customer's timeline; shared by the page and the JSON API.

use chrono::{NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use app::dto::{FilterOptions, LogCoverage, TimelineEntry, TimelinePage, TimelineQuery};
use app::i18n::Lang;

use super::labels::Labeller;
use crate::auth::session;
use crate::db::access_event::{self, AccessEventRow};
use crate::db::lookup;
use crate::domain::{AccessEventId, CustomerRef, TimelineCursor, TimelineFilter};
use crate::error::{AppError, ErrorKind};
use crate::http::AppState;

/// Where a customer's stored time zone is missing or unknown.
const FALLBACK_TIME_ZONE: Tz = chrono_tz::Europe::Berlin;

#[tracing::instrument(skip_all)]
pub async fn load_page(
    state: &AppState,
    session_token: Option<String>,
    lang: Lang,
    query: TimelineQuery,
) -> Result<TimelinePage, AppError> {
    let token = session_token.ok_or_else(|| AppError::new(ErrorKind::NotSignedIn))?;
    let idle_minutes = state.settings.session_idle_minutes;
    state
        .db
        .run(move |conn| {
            let now = Utc::now().naive_utc();
            let customer = session::customer_for_token(conn, &token, idle_minutes, now)?
                .ok_or_else(|| AppError::new(ErrorKind::NotSignedIn))?;
            let time_zone: Tz = customer.time_zone.parse().unwrap_or(FALLBACK_TIME_ZONE);
            let filter = TimelineFilter::parse(&query, time_zone)?;
            let customer_ref = CustomerRef::parse(&customer.customer_ref).map_err(|e| {
                AppError::internal(format!("stored customer reference is invalid: {e}"))
            })?;

            let mut rows = access_event::timeline_page(conn, &customer_ref, &filter, now)?;
            let next_cursor = if rows.len() > filter.limit as usize {
                rows.truncate(filter.limit as usize);
                rows.last().map(|last| {
                    TimelineCursor {
                        occurred_at: last.occurred_at,
                        id: AccessEventId(last.id),
                    }
                    .encode()
                })
            } else {
                None
            };

            let lookups = lookup::load_all(conn)?;
            let labels = Labeller::new(&lookups, lang);
            let entries = rows
                .iter()
                .map(|row| entry(row, &labels, time_zone))
                .collect();
            let coverage = LogCoverage {
                since: lookups
                    .systems
                    .iter()
                    .map(|s| s.covered_since)
                    .min()
                    .map(|t| local(t, time_zone).date_naive()),
                systems: lookups.systems.iter().map(|s| s.label.clone()).collect(),
            };
            let filter_options = FilterOptions {
                categories: labels
                    .options(lookups.categories.iter().map(|c| c.code.as_str()), |c| {
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
                viewer_name: customer.display_name,
            })
        })
        .await
}

fn local(at: NaiveDateTime, zone: Tz) -> chrono::DateTime<Tz> {
    Utc.from_utc_datetime(&at).with_timezone(&zone)
}

/// Everything the customer may see of an event; the employee id, team and country stay out.
pub(crate) fn entry(row: &AccessEventRow, labels: &Labeller, zone: Tz) -> TimelineEntry {
    let local_time = local(row.occurred_at, zone);
    let (role, role_description) = labels.role(&row.role_code);
    TimelineEntry {
        id: row.id.to_string(),
        occurred_at: Utc
            .from_utc_datetime(&row.occurred_at)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        local_date: local_time.date_naive(),
        local_time: local_time.format("%H:%M").to_string(),
        role,
        role_description,
        data_category: labels.category(&row.data_category),
        action: labels.action(&row.action),
        reason: labels.reason(&row.reason_code),
        reason_text: row.reason_text.clone(),
        ticket: row.ticket_ref.clone(),
        system: row.system.as_deref().map(|s| labels.system(s)),
    }
}
