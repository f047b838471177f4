//! The notification settings page.

use serde::{Deserialize, Serialize};

use super::{Labelled, Viewer};

/// What `/settings/notifications` shows: the customer's choice and what they can choose from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationSettings {
    pub viewer: Viewer,
    /// `every_access`, `unexplained_only`, `weekly_digest` (the default) or `off`.
    pub mode: String,
    /// Data category codes the customer is always alerted of.
    pub always: Vec<String>,
    /// Send the weekly digest in weeks with nothing to report too.
    pub quiet_weeks: bool,
    /// Every data category, labelled.
    pub categories: Vec<Labelled>,
    /// When the choice was last changed, in the customer's words and time zone; `None`: never.
    pub changed_at: Option<String>,
    /// Where the emails go; `None` when the shop gave no address (nothing can be sent).
    pub email: Option<String>,
    /// At most one alert email in this many minutes.
    pub window_minutes: u32,
}
