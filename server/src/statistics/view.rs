//! `/staff/statistics?from=&to=`: the figures for the privacy lead and regulators.

use chrono::Utc;

use app::dto::statistics::StatisticsPage;
use app::i18n::Lang;

use crate::auth::{may, StaffSession};
use crate::domain::time::{local_date, FALLBACK_TIME_ZONE};
use crate::domain::ReportPeriod;
use crate::error::AppError;
use crate::state::AppState;

pub async fn load(
    state: &AppState,
    session: StaffSession<may::ViewStatistics>,
    lang: Lang,
    from: Option<String>,
    to: Option<String>,
) -> Result<StatisticsPage, AppError> {
    let viewer = session.viewer();
    state
        .db
        .run(move |conn| {
            let now = Utc::now().naive_utc();
            let period = ReportPeriod::parse(
                from.as_deref(),
                to.as_deref(),
                local_date(now, FALLBACK_TIME_ZONE),
            )?;
            Ok(StatisticsPage {
                viewer,
                figures: super::build(conn, period, lang, now)?,
            })
        })
        .await
}
