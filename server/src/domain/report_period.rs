//! The period a report covers: whole days on the customer's calendar, parsed at the edge.

use chrono::{Months, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

use crate::error::AppError;

/// Longest period one report may cover; a longer one is split by the person asking.
pub const MAX_REPORT_YEARS: u32 = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReportPeriod {
    pub from: NaiveDate,
    /// Inclusive: the report covers all of this day.
    pub to: NaiveDate,
}

impl ReportPeriod {
    /// The last twelve months up to `today`, what the form offers first.
    pub fn default_for(today: NaiveDate) -> Self {
        Self {
            from: today
                .checked_sub_months(Months::new(12))
                .unwrap_or(today)
                .succ_opt()
                .unwrap_or(today),
            to: today,
        }
    }

    /// `from` and `to` as `YYYY-MM-DD`; empty values take the default. A period ending in the
    /// future ends today, since nothing later can have happened.
    pub fn parse(from: Option<&str>, to: Option<&str>, today: NaiveDate) -> Result<Self, AppError> {
        let default = Self::default_for(today);
        let date = |raw: Option<&str>, field: &'static str, fallback: NaiveDate| match raw
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Ok(fallback),
            Some(text) => {
                NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| AppError::invalid(field))
            }
        };
        let from = date(from, "from", default.from)?;
        let to = date(to, "to", default.to)?.min(today);
        if from > to {
            return Err(AppError::invalid("from"));
        }
        if from
            < to.checked_sub_months(Months::new(12 * MAX_REPORT_YEARS))
                .unwrap_or(NaiveDate::MIN)
        {
            return Err(AppError::invalid("from"));
        }
        Ok(Self { from, to })
    }

    /// The period as UTC instants `[start, end)` for the customer's time zone.
    pub fn utc_bounds(&self, zone: Tz) -> (NaiveDateTime, NaiveDateTime) {
        let start_of = |day: NaiveDate| {
            let midnight = day.and_time(chrono::NaiveTime::MIN);
            zone.from_local_datetime(&midnight)
                .earliest()
                .map(|t| t.naive_utc())
                .unwrap_or(midnight)
        };
        let after = self.to.succ_opt().unwrap_or(self.to);
        (start_of(self.from), start_of(after))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn empty_values_give_the_last_twelve_months() {
        let period = ReportPeriod::parse(None, Some(""), day("2026-11-27")).unwrap();
        assert_eq!(
            (period.from, period.to),
            (day("2025-11-28"), day("2026-11-27"))
        );
    }

    #[test]
    fn bad_or_reversed_dates_name_the_field() {
        let today = day("2026-11-27");
        let refused = |from, to| match ReportPeriod::parse(from, to, today) {
            Err(AppError {
                kind: ErrorKind::InvalidInput { field },
                ..
            }) => field,
            _ => "accepted",
        };
        assert_eq!(refused(Some("27.11.2026"), None), "from");
        assert_eq!(refused(None, Some("2026-13-01")), "to");
        assert_eq!(refused(Some("2026-11-02"), Some("2026-11-01")), "from");
        assert_eq!(refused(Some("1990-01-01"), None), "from");
        assert_eq!(refused(Some("2026-01-01"), Some("2030-01-01")), "accepted");
    }

    #[test]
    fn bounds_follow_the_local_calendar() {
        let period =
            ReportPeriod::parse(Some("2026-07-01"), Some("2026-07-31"), day("2026-11-27")).unwrap();
        let (start, end) = period.utc_bounds(chrono_tz::Europe::Berlin);
        assert_eq!(start.to_string(), "2026-06-30 22:00:00");
        assert_eq!(end.to_string(), "2026-07-31 22:00:00");
    }
}
