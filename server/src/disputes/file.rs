//! `POST /disputes`: the customer disputes one or more of their timeline entries.
//! Form fields: `event` (an entry id, repeatable), `ground`, `statement`.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

use app::dto::percent_encode;

use crate::auth::CustomerSession;
use crate::db::dispute::{self, NewDispute};
use crate::db::dispute_history::{self, NewHistoryEntry};
use crate::db::{access_event, customer};
use crate::domain::dispute::PlainTextError;
use crate::domain::time::local_date;
use crate::domain::{Deadline, DisputeGround, DisputeReference, DisputeStatus, PlainText};
use crate::email::{self, Notice};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::Form;
use crate::web::see_other;

/// More entries than this in one dispute is a selection mistake, not a case.
pub const MAX_EVENTS_PER_DISPUTE: usize = 50;

enum Filed {
    Done(DisputeReference, Option<Box<email::CaseEmail>>),
    UnknownEvents,
}

#[tracing::instrument(skip_all)]
pub async fn file(
    request: HttpRequest,
    session: CustomerSession,
    state: web::Data<AppState>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let mut event_ids: Vec<i64> = form
        .all("event")
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    event_ids.sort_unstable();
    event_ids.dedup();
    let raw_ground = form.get("ground").unwrap_or_default().to_owned();
    let raw_statement = form.get("statement").unwrap_or_default().to_owned();

    // Back to the form with the reason and everything typed so far: nothing is lost.
    let back_to_form = |error: &str| {
        let mut target = String::from("/disputes/new?");
        for id in &event_ids {
            target.push_str(&format!("event={id}&"));
        }
        target.push_str(&format!(
            "ground={}&statement={}&error={error}",
            percent_encode(&raw_ground),
            percent_encode(&raw_statement)
        ));
        see_other(&target)
    };
    if event_ids.is_empty() || event_ids.len() > MAX_EVENTS_PER_DISPUTE {
        return Ok(back_to_form("events"));
    }
    let Ok(ground) = DisputeGround::parse(&raw_ground) else {
        return Ok(back_to_form("ground"));
    };
    let statement = match PlainText::parse(&raw_statement) {
        Ok(text) => text,
        Err(PlainTextError::Empty) => return Ok(back_to_form("statement_empty")),
        Err(PlainTextError::TooLong) => return Ok(back_to_form("statement_too_long")),
    };
    let lang = app::lang_of_request(&request);
    let customer = session.customer;

    let filed = state
        .db
        .write(move |conn| {
            let now = Utc::now().naive_utc();
            dispute::lock_out_retention(conn)?;
            // Only the customer's own entries, and only those they can already see.
            let events = access_event::find_many(conn, &event_ids)?;
            let all_theirs = events.len() == event_ids.len()
                && events.iter().all(|e| {
                    e.customer_ref == customer.customer_ref
                        && e.visible_from.is_none_or(|v| v <= now)
                });
            if !all_theirs {
                return Ok(Filed::UnknownEvents);
            }
            let zone = customer.time_zone();
            let deadline = Deadline::for_receipt(local_date(now, zone));
            let reference = DisputeReference::generate();
            let id = dispute::insert(
                conn,
                &NewDispute {
                    reference: reference.as_str(),
                    customer_id: customer.id,
                    ground: ground.code(),
                    statement: statement.as_str(),
                    status: DisputeStatus::Open,
                    received_at: now,
                    due_on: deadline.due_on(),
                    updated_at: now,
                },
                &event_ids,
            )?;
            dispute_history::insert(
                conn,
                &NewHistoryEntry::new(id, now, None, "received", None, true),
            )?;
            customer::set_lang(conn, customer.id(), lang.code())?;
            let row = dispute::find_by_reference(conn, reference.as_str())?
                .ok_or_else(|| AppError::internal("dispute vanished after insert"))?;
            let customer = crate::db::customer::CustomerRow {
                lang: lang.code().to_owned(),
                ..customer
            };
            let mail = super::email_to(
                &customer,
                &row,
                Notice::Received,
                deadline.due_on(),
                Some(statement.as_str()),
            );
            Ok(Filed::Done(reference, mail.map(Box::new)))
        })
        .await?;

    match filed {
        Filed::Done(reference, mail) => {
            tracing::info!(reference = reference.as_str(), "dispute filed");
            email::deliver_all(
                state.settings.clone(),
                mail.map(|m| *m).into_iter().collect(),
            )
            .await;
            Ok(see_other(&format!("/disputes/{reference}?notice=filed")))
        }
        Filed::UnknownEvents => Ok(super::not_found_page(&request)),
    }
}
