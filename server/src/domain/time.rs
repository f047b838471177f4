//! Times as people read them: UTC in the database, the reader's calendar on the page.

use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Where a customer's stored time zone is missing or unknown; also the privacy team's own
/// calendar (deadlines are calendar days in Berlin).
pub const FALLBACK_TIME_ZONE: Tz = chrono_tz::Europe::Berlin;

/// The time zone named `name` (an IANA name like `Europe/Vienna`), or the fallback.
pub fn time_zone_named(name: &str) -> Tz {
    name.parse().unwrap_or(FALLBACK_TIME_ZONE)
}

/// `at` (UTC) in `zone`.
pub fn local(at: NaiveDateTime, zone: Tz) -> chrono::DateTime<Tz> {
    Utc.from_utc_datetime(&at).with_timezone(&zone)
}

/// The calendar day `at` (UTC) falls on in `zone`.
pub fn local_date(at: NaiveDateTime, zone: Tz) -> NaiveDate {
    local(at, zone).date_naive()
}

/// `at` (UTC) as `YYYY-MM-DD HH:MM` in `zone`.
pub fn local_date_time(at: NaiveDateTime, zone: Tz) -> String {
    local(at, zone).format("%Y-%m-%d %H:%M").to_string()
}

/// `at` (UTC) as RFC 3339 with a `Z`, to the second.
pub fn rfc3339_utc(at: NaiveDateTime) -> String {
    Utc.from_utc_datetime(&at)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_zone_falls_back_to_berlin() {
        assert_eq!(time_zone_named("Mars/Olympus"), FALLBACK_TIME_ZONE);
        assert_eq!(time_zone_named("Europe/Vienna"), chrono_tz::Europe::Vienna);
    }

    #[test]
    fn late_utc_evenings_are_the_next_day_in_berlin() {
        let at = NaiveDate::from_ymd_opt(2026, 7, 1)
            .unwrap()
            .and_hms_opt(22, 30, 0)
            .unwrap();
        assert_eq!(local_date(at, FALLBACK_TIME_ZONE).to_string(), "2026-07-02");
        assert_eq!(local_date_time(at, FALLBACK_TIME_ZONE), "2026-07-02 00:30");
        assert_eq!(rfc3339_utc(at), "2026-07-01T22:30:00Z");
    }
}
