//! The privacy team's investigations of flagged accesses, and the admin settings of the rules
//! that flag them.

use serde::{Deserialize, Serialize};

use super::backoffice::StaffViewer;
use super::Labelled;

/// One case in the queue: an employee's flagged accesses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvestigationSummary {
    pub reference: String,
    pub employee_id: String,
    /// `open`, `appropriate`, `violation` or `cleared`.
    pub status: String,
    pub flagged: u32,
    pub customers: u32,
    pub score: i32,
    /// `YYYY-MM-DD HH:MM` Berlin time.
    pub opened_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvestigationQueue {
    pub viewer: StaffViewer,
    pub cases: Vec<InvestigationSummary>,
    /// Decided and cleared cases too, not only open ones.
    pub all: bool,
}

/// Why a rule fired, in plain language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleFinding {
    pub code: String,
    pub text: String,
}

/// One flagged access, with the evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvestigationAccess {
    pub id: String,
    /// `YYYY-MM-DD HH:MM` Berlin time.
    pub occurred_at: String,
    pub customer_ref: String,
    pub high_profile: bool,
    pub role: String,
    pub data_category: String,
    pub action: String,
    pub reason: Labelled,
    pub reason_text: Option<String>,
    pub ticket: Option<String>,
    pub findings: Vec<RuleFinding>,
    /// The business record that matched, if one did (and rules fired regardless).
    pub record: Option<String>,
}

/// How the employee usually works, to compare the flagged accesses with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmployeePattern {
    pub in_directory: bool,
    pub team: Option<String>,
    /// Local hours, e.g. `07-20`.
    pub shift: Option<String>,
    /// Median distinct customers per working day over the last 30 days of their accesses.
    pub customers_per_day: String,
    /// Their most frequent hours (Berlin), e.g. `09, 10, 14`.
    pub usual_hours: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvestigationStep {
    /// `YYYY-MM-DD HH:MM` Berlin time.
    pub at: String,
    /// `opened`, `note`, `decided`, `cleared`, `notified`.
    pub kind: String,
    pub who: Option<String>,
    pub body: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvestigationView {
    pub viewer: StaffViewer,
    pub summary: InvestigationSummary,
    pub pattern: EmployeePattern,
    pub accesses: Vec<InvestigationAccess>,
    pub history: Vec<InvestigationStep>,
    pub outcome_reason: Option<String>,
    /// May add notes (analysts and leads, open cases).
    pub can_work: bool,
    /// May decide (leads, open cases).
    pub can_decide: bool,
}

/// A rule as the admin page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleSetting {
    pub code: String,
    pub description: String,
    pub enabled: bool,
    pub threshold: Option<f64>,
    /// What the threshold means, for rules that have one.
    pub threshold_meaning: Option<String>,
}

/// A kind of business record and how long around it an access is explained.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindSetting {
    pub code: String,
    pub label: String,
    pub hours_before: i32,
    pub hours_after: i32,
}

/// Which kinds explain a role's accesses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleFit {
    pub code: String,
    pub label: String,
    pub kinds: Vec<String>,
    /// Set by an admin, rather than the department's default.
    pub own: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetectionSettings {
    pub viewer: StaffViewer,
    pub rules: Vec<RuleSetting>,
    pub kinds: Vec<KindSetting>,
    pub roles: Vec<RoleFit>,
}
