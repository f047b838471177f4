//! The access report form.

use serde::{Deserialize, Serialize};

/// What the form at `/reports` starts with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportForm {
    pub viewer: crate::dto::Viewer,
    /// `YYYY-MM-DD`: the default period, the last twelve months on the customer's calendar.
    pub default_from: String,
    pub default_to: String,
    pub time_zone: String,
}
