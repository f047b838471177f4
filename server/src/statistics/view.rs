//! `/staff/statistics?from=&to=`: the figures for the privacy lead and regulators.

use chrono::Utc;

use app::dto::statistics::StatisticsPage;
use app::i18n::Lang;

use crate::backoffice::{staff_allowed, viewer};
use crate::disputes::{local_date, FALLBACK_TIME_ZONE};
use crate::domain::{ReportPeriod, StaffPermission};
use crate::error::AppError;
use crate::http::AppState;

pub async fn load(
    state: &AppState,
    token: Option<String>,
    lang: Lang,
    from: Option<String>,
    to: Option<String>,
) -> Result<StatisticsPage, AppError> {
    let idle_minutes = state.settings.session_idle_minutes;
    state
        .db
        .run(move |conn| {
            let (staff, _) = staff_allowed(
                conn,
                token.as_deref(),
                idle_minutes,
                StaffPermission::ViewStatistics,
            )?;
            let now = Utc::now().naive_utc();
            let period = ReportPeriod::parse(
                from.as_deref(),
                to.as_deref(),
                local_date(now, FALLBACK_TIME_ZONE),
            )?;
            Ok(StatisticsPage {
                viewer: viewer(&staff),
                figures: super::build(conn, period, lang, now)?,
            })
        })
        .await
}
