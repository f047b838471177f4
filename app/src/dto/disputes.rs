//! The customer's side of disputes: the form, the list, one case.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::TimelineEntry;

/// The dispute form's `ground` values, in the order the form offers them.
pub const GROUNDS: [&str; 4] = ["not_recognised", "wrong_reason", "never_contacted", "other"];

/// Longest statement or message, in characters (the server enforces it too).
pub const MAX_TEXT_CHARS: usize = 2000;

/// What the dispute form shows: the chosen entries and the deadline a filing today would get.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DisputeDraft {
    pub viewer: crate::dto::Viewer,
    pub entries: Vec<TimelineEntry>,
    pub due_if_filed_today: NaiveDate,
}

/// One case as a list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeSummary {
    pub reference: String,
    /// `open`, `in_review`, `waiting_for_customer`, `upheld`, `rejected` or `withdrawn`.
    pub status: String,
    pub ground: String,
    pub received_on: NaiveDate,
    pub due_on: NaiveDate,
    pub extended: bool,
    pub overdue: bool,
    pub event_count: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyDisputes {
    pub viewer: crate::dto::Viewer,
    pub disputes: Vec<DisputeSummary>,
}

/// One step of a case as the customer reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseStep {
    /// `received`, `message_from_customer`, `message_to_customer`, `info_requested`,
    /// `review_started`, `extended`, `upheld`, `rejected`, `withdrawn` (and, for staff only,
    /// `assigned`, `internal_note`, `opened`).
    pub kind: String,
    /// Local date and time, formatted for the reader.
    pub at: String,
    pub body: Option<String>,
    /// For staff: who acted. Customers only ever see "privacy team".
    pub by_staff: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DisputeDetail {
    pub viewer: crate::dto::Viewer,
    pub summary: DisputeSummary,
    pub statement: String,
    pub entries: Vec<TimelineEntry>,
    pub extension_reason: Option<String>,
    /// The privacy team's answer, once decided.
    pub decision: Option<String>,
    pub steps: Vec<CaseStep>,
    pub can_reply: bool,
    pub can_withdraw: bool,
}
