//! What the report form at `/reports` starts with.

use chrono::Utc;

use app::dto::reports::ReportForm;

use crate::auth::CustomerSession;
use crate::domain::time::local_date;
use crate::domain::ReportPeriod;

/// Needs no database beyond the session: the period is the last twelve months on the
/// customer's calendar.
pub fn load(session: CustomerSession) -> ReportForm {
    let viewer = session.viewer();
    let customer = session.customer;
    let zone = customer.time_zone();
    let period = ReportPeriod::default_for(local_date(Utc::now().naive_utc(), zone));
    ReportForm {
        viewer,
        default_from: period.from.to_string(),
        default_to: period.to.to_string(),
        time_zone: zone.name().to_owned(),
    }
}
