//! Supervisory authorities' cases in the back office.

use serde::{Deserialize, Serialize};

use super::ids::RegulatorCaseId;

use super::backoffice::StaffViewer;

/// `/staff/regulator`: the authority's cases and the form to open one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegulatorCases {
    pub viewer: StaffViewer,
    pub authority: String,
    pub cases: Vec<RegulatorCaseSummary>,
    /// `YYYY-MM-DD`: the period the form suggests (the last twelve months).
    pub default_from: String,
    pub default_to: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegulatorCaseSummary {
    pub id: RegulatorCaseId,
    pub reference: String,
    pub subject_ref: String,
    pub period_from: String,
    pub period_to: String,
    pub opened_at: String,
    pub confidential: bool,
    pub closed: bool,
}

/// `/staff/regulator/cases/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegulatorCaseView {
    pub viewer: StaffViewer,
    pub id: RegulatorCaseId,
    pub reference: String,
    pub authority: String,
    pub legal_basis: String,
    pub subject_ref: String,
    pub subject_name: String,
    pub period_from: String,
    pub period_to: String,
    pub confidential: bool,
    pub opened_by: String,
    pub opened_at: String,
    pub closed_at: Option<String>,
    /// The subject's accesses in the period, as the report will list them.
    pub accesses_in_period: u64,
    pub actions: Vec<RegulatorActionEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegulatorActionEntry {
    pub at: String,
    pub who: String,
    /// `opened`, `viewed`, `report_downloaded`, `closed`.
    pub kind: String,
    pub detail: Option<String>,
}
