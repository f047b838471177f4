//! The privacy back office: the queue and the case view.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::disputes::{CaseStep, DisputeSummary};
use super::Labelled;

/// The signed-in staff member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffViewer {
    pub name: String,
    /// `privacy_analyst`, `privacy_lead`, `regulator` or `admin`.
    pub role: String,
}

/// The queue's filters, as they arrive in the URL (`/staff?status=…&assignee=…&overdue=1`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct QueueQuery {
    /// A status code, or `active` (everything not closed; the default) or `all`.
    pub status: Option<String>,
    /// A staff user id, `me` or `none` (unassigned).
    pub assignee: Option<String>,
    /// `1`: only cases past their due date.
    pub overdue: Option<String>,
}

impl QueueQuery {
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut query = QueueQuery::default();
        for (key, value) in pairs {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let value = Some(value.to_owned());
            match key {
                "status" => query.status = value,
                "assignee" => query.assignee = value,
                "overdue" => query.overdue = value,
                _ => {}
            }
        }
        query
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueItem {
    pub summary: DisputeSummary,
    pub customer_ref: String,
    pub customer_is_vip: bool,
    pub assignee: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuePage {
    pub viewer: StaffViewer,
    pub items: Vec<QueueItem>,
    /// Staff a case can be assigned to (code = staff user id).
    pub assignees: Vec<Labelled>,
    pub overdue_count: u32,
}

/// What one employee did around the disputed access (±14 days).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmployeeContext {
    pub accesses: u32,
    pub distinct_customers: u32,
    pub vip_customers: u32,
    /// Accesses between 22:00 and 06:00 Berlin time.
    pub night_accesses: u32,
}

/// A disputed event with everything the feed said, including who.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseEvent {
    pub id: String,
    /// `YYYY-MM-DD HH:MM` Berlin time.
    pub occurred_at: String,
    pub employee_id: String,
    pub role: Labelled,
    pub team: Option<String>,
    pub office_country: Option<String>,
    pub data_category: Labelled,
    pub action: String,
    pub reason: Labelled,
    pub reason_text: Option<String>,
    pub ticket: Option<String>,
    pub system: Option<String>,
    pub source: String,
    pub employee_context: EmployeeContext,
}

/// What the signed-in staff member may do on this case right now.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CasePermissions {
    pub work: bool,
    pub assign: bool,
    pub decide: bool,
    pub extend: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseView {
    pub viewer: StaffViewer,
    pub summary: DisputeSummary,
    pub customer_ref: String,
    pub customer_is_vip: bool,
    pub statement: String,
    pub events: Vec<CaseEvent>,
    pub other_disputes: Vec<DisputeSummary>,
    pub steps: Vec<CaseStep>,
    pub assignee: Option<String>,
    pub assignees: Vec<Labelled>,
    pub extension_reason: Option<String>,
    pub decision: Option<String>,
    pub internal_note: Option<String>,
    pub permissions: CasePermissions,
    /// Latest due date an extension may set, per number of months (1, 2).
    pub extension_options: Vec<(u32, NaiveDate)>,
}
