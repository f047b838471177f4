//! How long access events are kept (`EINBLICK_RETENTION_MONTHS`): whole calendar months, so on
//! PostgreSQL a month's partition is dropped at once.

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetentionPolicy {
    months: u32,
}

impl RetentionPolicy {
    /// The longest policy: a hundred years.
    pub const MAX_MONTHS: u32 = 1200;

    /// Keeps `months` whole months before the current one (1 to [`Self::MAX_MONTHS`]).
    pub fn keeping_months(months: u32) -> Option<Self> {
        (1..=Self::MAX_MONTHS)
            .contains(&months)
            .then_some(Self { months })
    }

    /// The months kept before the current one.
    pub fn months(self) -> u32 {
        self.months
    }

    /// The first day kept at `now`: the first day of the month `months` before the current
    /// one. Events that happened before it are removed, and the feed refuses them.
    pub fn oldest_kept(self, now: NaiveDateTime) -> NaiveDate {
        let this_month = now.date().with_day(1).unwrap_or(now.date());
        this_month
            .checked_sub_months(Months::new(self.months))
            .unwrap_or(NaiveDate::MIN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_keeps_one_month_to_a_hundred_years() {
        assert_eq!(RetentionPolicy::keeping_months(0), None);
        assert_eq!(RetentionPolicy::keeping_months(1201), None);
        assert_eq!(
            RetentionPolicy::keeping_months(1200).map(|p| p.months()),
            Some(1200)
        );
    }

    #[test]
    fn keeps_whole_months_before_the_current_one() {
        let now = NaiveDate::from_ymd_opt(2026, 12, 2)
            .unwrap()
            .and_hms_opt(3, 0, 0)
            .unwrap();
        let policy = RetentionPolicy::keeping_months(36).unwrap();
        assert_eq!(
            policy.oldest_kept(now),
            NaiveDate::from_ymd_opt(2023, 12, 1).unwrap()
        );
        let march_31 = NaiveDate::from_ymd_opt(2026, 3, 31)
            .unwrap()
            .and_hms_opt(23, 59, 59)
            .unwrap();
        assert_eq!(
            RetentionPolicy::keeping_months(1)
                .unwrap()
                .oldest_kept(march_31),
            NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()
        );
    }
}
