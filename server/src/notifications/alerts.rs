//! Alert emails: a customer's waiting accesses become one email at most per window
//! (`EINBLICK_ALERT_WINDOW_MINUTES`), queued in the outbox in the transaction that takes them
//! off the waiting list.

use std::collections::HashSet;

use chrono::{Duration, NaiveDateTime};

use app::i18n::Lang;

use super::lines::Teller;
use super::token::UnsubscribeToken;
use crate::config::Settings;
use crate::db::email_outbox::{self, NewOutboxEmail};
use crate::db::{access_event, customer, explanation, notification, AnyConnection};
use crate::domain::explanation::ExplanationState;
use crate::domain::notification::{worth_an_alert, NotificationMode};
use crate::domain::CustomerId;
use crate::email::alert::{AlertEmail, Footer};
use crate::error::AppError;
use crate::transparency::LogKeys;

/// An access waits this long before it is told, so the rest of a burst arriving with it is
/// told in the same email.
pub const GATHER_SECONDS: i64 = 5;
/// Accesses one alert email takes off the waiting list; the first [`LISTED`] are listed and
/// the rest counted, with a link to the timeline.
const PER_EMAIL: i64 = 1000;
/// Accesses an alert lists one by one.
pub const LISTED: usize = 100;
/// Customers whose alerts are queued in one commit.
const CUSTOMERS_PER_COMMIT: usize = 50;
/// Customers read at a time.
const CUSTOMERS_PER_PAGE: i64 = 500;

/// Queues the alert emails that are due at `now`; returns how many.
pub fn queue_due(
    conn: &mut AnyConnection,
    settings: &Settings,
    keys: &LogKeys,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    let window = Duration::minutes(i64::from(settings.alert_window_minutes));
    let mut queued = 0;
    let mut after = CustomerId(0);
    // Page by customer, so customers still waiting for a judgement never crowd out the rest.
    loop {
        let waiting = notification::customers_waiting(
            conn,
            after,
            now - Duration::seconds(GATHER_SECONDS),
            now - window,
            CUSTOMERS_PER_PAGE,
        )?;
        let Some(last) = waiting.last().copied() else {
            return Ok(queued);
        };
        // A few customers per commit (SQLite has one writer, the feed's and the judge's too);
        // each in its own savepoint, so one customer's failure is logged and retried next round
        // while the rest go on.
        for group in waiting.chunks(CUSTOMERS_PER_COMMIT) {
            queued += crate::db::write_transaction(conn, |conn| {
                let mut queued = 0;
                for &customer in group {
                    match crate::db::write_transaction(conn, |conn| {
                        queue_for(conn, settings, keys, customer, now)
                    }) {
                        Ok(count) => queued += count,
                        Err(e) => tracing::error!(error = %e, "an alert could not be composed"),
                    }
                }
                Ok(queued)
            })?;
        }
        after = last;
    }
}

/// The links at the foot of every notification email to `customer`.
pub fn footer(
    settings: &Settings,
    keys: &LogKeys,
    customer: CustomerId,
    now: NaiveDateTime,
) -> Footer {
    Footer {
        settings_link: format!("{}/settings/notifications", settings.public_url),
        unsubscribe_link: format!(
            "{}/unsubscribe?token={}",
            settings.public_url,
            UnsubscribeToken::new(customer, now).encode(keys)
        ),
    }
}

fn queue_for(
    conn: &mut AnyConnection,
    settings: &Settings,
    keys: &LogKeys,
    customer: CustomerId,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    let window = Duration::minutes(i64::from(settings.alert_window_minutes));
    let Some(choice) = notification::lock_preferences(conn, customer)? else {
        notification::forget_all_waiting(conn, customer)?;
        return Ok(0);
    };
    if choice.last_alert_at.is_some_and(|at| at + window > now) {
        return Ok(0);
    }
    let Some(row) = customer::find(conn, customer)? else {
        notification::forget_all_waiting(conn, customer)?;
        return Ok(0);
    };
    let Some(address) = row.email.clone() else {
        notification::forget_all_waiting(conn, customer)?;
        return Ok(0);
    };
    // The locked row is the choice; only the exceptions are read beside it.
    let exceptions = notification::always_of(conn, customer)?;
    let always: HashSet<&str> = exceptions.iter().map(String::as_str).collect();
    let mode = NotificationMode::from_stored(&choice.mode);

    let ids = notification::waiting_for(conn, customer, PER_EMAIL)?;
    let events = access_event::find_many(conn, &ids)?;
    let states = explanation::for_events(conn, &ids)?;
    let mut settled: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !events.iter().any(|e| e.id == *id))
        .collect();
    let mut tell = Vec::new();
    for event in events {
        if event.customer_ref != row.customer_ref {
            settled.push(event.id);
            continue;
        }
        // Held back from the timeline (a regulator's hold): told once it shows.
        if event.visible_from.is_some_and(|from| from > now) {
            continue;
        }
        let state = states
            .get(&event.id)
            .and_then(|r| ExplanationState::parse(&r.state));
        let worth = if always.contains(event.data_category.as_str()) {
            Some(true)
        } else {
            worth_an_alert(mode, state)
        };
        match worth {
            Some(true) => {
                settled.push(event.id);
                tell.push(event);
            }
            Some(false) => settled.push(event.id),
            None => {}
        }
    }
    notification::forget_waiting(conn, &settled)?;
    if tell.is_empty() {
        return Ok(0);
    }
    let lang = Lang::parse(&row.lang).unwrap_or(Lang::De);
    let teller = Teller::new(conn, lang, row.time_zone(), &settings.public_url)?;
    let category = teller.labels().category(&tell[0].data_category).label;
    let told = tell.len();
    tell.sort_by_key(|e| (e.occurred_at, e.id));
    tell.truncate(LISTED);
    let accesses = teller.lines(conn, &tell)?;
    let footer = footer(settings, keys, customer, now);
    let email = AlertEmail {
        lang,
        customer_name: row.display_name.clone(),
        accesses,
        unlisted: told.saturating_sub(LISTED),
        timeline_link: format!("{}/timeline", settings.public_url),
        footer: footer.clone(),
    };
    let rendered = email.render(&category)?;
    let message = crate::email::notification_message(
        settings,
        &address,
        "alert",
        rendered,
        &footer.unsubscribe_link,
    );
    email_outbox::queue(
        conn,
        &NewOutboxEmail {
            customer_id: Some(customer.0),
            kind: "alert".into(),
            dedupe_key: None,
            recipient: address,
            message,
            queued_at: now,
            next_attempt_at: now,
        },
    )?;
    notification::set_last_alert(conn, customer, now)?;
    Ok(1)
}
