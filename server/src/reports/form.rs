//! What the report form at `/reports` starts with.

use chrono::Utc;

use app::dto::reports::ReportForm;

use crate::auth::session;
use crate::disputes::{local_date, time_zone_of};
use crate::domain::ReportPeriod;
use crate::error::{AppError, ErrorKind};
use crate::http::AppState;

pub async fn load(state: &AppState, token: Option<String>) -> Result<ReportForm, AppError> {
    let token = token.ok_or_else(|| AppError::new(ErrorKind::NotSignedIn))?;
    let idle_minutes = state.settings.session_idle_minutes;
    state
        .db
        .run(move |conn| {
            let now = Utc::now().naive_utc();
            let customer = session::customer_for_token(conn, &token, idle_minutes, now)?
                .ok_or_else(|| AppError::new(ErrorKind::NotSignedIn))?;
            let zone = time_zone_of(&customer);
            let period = ReportPeriod::default_for(local_date(now, zone));
            Ok(ReportForm {
                viewer_name: customer.display_name,
                default_from: period.from.to_string(),
                default_to: period.to.to_string(),
                time_zone: zone.name().to_owned(),
            })
        })
        .await
}
