//! Aggregate transparency statistics: counts only, no single customer in them.

use serde::{Deserialize, Serialize};

use super::backoffice::StaffViewer;
use super::Labelled;

/// `/staff/statistics`: the figures for a period and who is looking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatisticsPage {
    pub viewer: StaffViewer,
    pub figures: StatisticsFigures,
}

/// The figures, also the JSON export (`einblick.statistics.v1`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatisticsFigures {
    pub format: String,
    pub language: String,
    pub generated_at: String,
    /// `YYYY-MM-DD`, whole days in Europe/Berlin.
    pub period_from: String,
    pub period_to: String,
    pub accesses: AccessFigures,
    pub disputes: DisputeFigures,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessFigures {
    pub total: u64,
    pub without_reason: u64,
    /// Per mille of `total`, so the JSON holds integers only.
    pub without_reason_permille: u64,
    pub without_ticket: u64,
    pub without_ticket_permille: u64,
    pub by_role: Vec<Count>,
    pub by_category: Vec<Count>,
    pub by_reason: Vec<Count>,
    /// Role × category × reason, largest first.
    pub combinations: Vec<Combination>,
    /// Accesses explained by a business record or confirmed by the privacy team, per mille.
    #[serde(default)]
    pub explained_permille: u64,
    /// Per role: the share explained and the flags per 1,000 accesses.
    #[serde(default)]
    pub explanation_by_role: Vec<RoleExplanation>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleExplanation {
    pub role: Labelled,
    pub accesses: u64,
    pub explained_permille: u64,
    /// Flagged (or found a violation) per 1,000 accesses.
    pub flags_per_thousand: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    pub code: String,
    pub label: String,
    pub count: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Combination {
    pub role: Labelled,
    pub category: Labelled,
    pub reason: Labelled,
    pub count: u64,
    pub without_ticket: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeFigures {
    /// Received in the period.
    pub opened: u64,
    /// Decided or withdrawn in the period.
    pub upheld: u64,
    pub rejected: u64,
    pub withdrawn: u64,
    /// Days from receipt to the answer for cases answered in the period (nearest rank), in
    /// tenths of a day so the JSON holds integers only; `None` without answers.
    pub median_tenths_of_days_to_answer: Option<u64>,
    pub p90_tenths_of_days_to_answer: Option<u64>,
    /// Cases still open after their due day now.
    pub overdue_open: u64,
    /// Cases answered in the period after their due day.
    pub answered_late: u64,
}

impl Count {
    /// The bar's length relative to the largest, in percent (for charts).
    pub fn percent_of(&self, largest: u64) -> u64 {
        (self.count * 100).checked_div(largest).unwrap_or(0)
    }
}

/// "12.5" from 125 tenths.
pub fn tenths(value: u64) -> String {
    format!("{}.{}", value / 10, value % 10)
}
