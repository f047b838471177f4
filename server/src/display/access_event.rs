//! An access event as the customer may see it: when (in their time zone), which role, what, why.
//! The employee's id, team and country never leave the server this way.

use chrono_tz::Tz;

use app::dto::TimelineEntry;

use super::Labeller;
use crate::db::access_event::ShownAccessRow;
use crate::domain::time::{local, rfc3339_utc};

pub fn timeline_entry(row: &ShownAccessRow, labels: &Labeller, zone: Tz) -> TimelineEntry {
    let local_time = local(row.occurred_at, zone);
    let (role, role_description) = labels.role(&row.role_code);
    TimelineEntry {
        id: row.id.to_string(),
        occurred_at: rfc3339_utc(row.occurred_at),
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
        explanation: None,
    }
}
