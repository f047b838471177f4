//! The timeline's filters, parsed from the raw URL query at the edge.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

use app::dto::TimelineQuery;

use super::AccessEventId;
use crate::error::{AppError, ErrorKind};

pub const DEFAULT_PAGE_SIZE: u32 = 50;
pub const MAX_PAGE_SIZE: u32 = 200;

/// A position in the timeline: the last entry of the previous page. Sorting is
/// (occurred_at, id) descending, so the pair is unique and stable under concurrent inserts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimelineCursor {
    pub occurred_at: NaiveDateTime,
    pub id: AccessEventId,
}

impl TimelineCursor {
    pub fn encode(&self) -> String {
        let micros = self.occurred_at.and_utc().timestamp_micros();
        URL_SAFE_NO_PAD.encode(format!("{micros}.{}", self.id.0))
    }

    /// A cursor only says where to continue; the customer filter is applied regardless, so a
    /// crafted cursor cannot reach anyone else's entries.
    pub fn decode(raw: &str) -> Result<Self, AppError> {
        let invalid = || AppError::new(ErrorKind::InvalidCursor);
        if raw.len() > 64 {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let (micros, id) = text.split_once('.').ok_or_else(invalid)?;
        let micros: i64 = micros.parse().map_err(|_| invalid())?;
        let id: i64 = id.parse().map_err(|_| invalid())?;
        let occurred_at = chrono::DateTime::from_timestamp_micros(micros)
            .ok_or_else(invalid)?
            .naive_utc();
        Ok(Self {
            occurred_at,
            id: AccessEventId(id),
        })
    }
}

/// The parsed filter; time bounds are UTC instants derived from the customer's local days.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct TimelineFilter {
    pub occurred_from: Option<NaiveDateTime>,
    /// Exclusive upper bound.
    pub occurred_before: Option<NaiveDateTime>,
    pub category: Option<String>,
    pub role: Option<String>,
    pub reason: Option<String>,
    pub explanation: Option<super::explanation::ExplanationFilter>,
    pub cursor: Option<TimelineCursor>,
    pub limit: u32,
}

impl TimelineFilter {
    pub fn parse(query: &TimelineQuery, time_zone: Tz) -> Result<Self, AppError> {
        let from = query
            .from
            .as_deref()
            .map(|d| parse_day(d, "from"))
            .transpose()?;
        let to = query
            .to
            .as_deref()
            .map(|d| parse_day(d, "to"))
            .transpose()?;
        if let (Some(from), Some(to)) = (from, to) {
            if from > to {
                return Err(AppError::invalid("to"));
            }
        }
        let limit = match query.limit {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
            Some(_) => return Err(AppError::invalid("limit")),
        };
        Ok(Self {
            occurred_from: from.map(|d| local_midnight_utc(d, time_zone)),
            occurred_before: to
                .and_then(|d| d.succ_opt())
                .map(|d| local_midnight_utc(d, time_zone)),
            category: query
                .category
                .as_deref()
                .map(|c| parse_code(c, "category"))
                .transpose()?,
            role: query
                .role
                .as_deref()
                .map(|c| parse_code(c, "role"))
                .transpose()?,
            reason: query
                .reason
                .as_deref()
                .map(|c| parse_code(c, "reason"))
                .transpose()?,
            explanation: query
                .explanation
                .as_deref()
                .map(|e| {
                    super::explanation::ExplanationFilter::parse(e.trim())
                        .ok_or_else(|| AppError::invalid("explanation"))
                })
                .transpose()?,
            cursor: query
                .cursor
                .as_deref()
                .map(TimelineCursor::decode)
                .transpose()?,
            limit,
        })
    }
}

fn parse_day(raw: &str, field: &'static str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| AppError::invalid(field))
}

/// A role, category or reason code: 1–64 ASCII letters, digits, `_`, `-` or `.`.
pub fn is_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 64
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
}

/// Codes are short lower-case identifiers; anything else cannot match and is a typo or an attack.
fn parse_code(raw: &str, field: &'static str) -> Result<String, AppError> {
    let code = raw.trim();
    let valid = !code.is_empty()
        && code.len() <= 64
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
    if valid {
        Ok(code.to_owned())
    } else {
        Err(AppError::invalid(field))
    }
}

/// The UTC instant at which `day` begins in `zone` (the earliest, if a DST change skips midnight).
fn local_midnight_utc(day: NaiveDate, zone: Tz) -> NaiveDateTime {
    let midnight = day.and_time(chrono::NaiveTime::MIN);
    match zone.from_local_datetime(&midnight) {
        chrono::LocalResult::Single(t) => t.naive_utc(),
        chrono::LocalResult::Ambiguous(earliest, _) => earliest.naive_utc(),
        chrono::LocalResult::None => zone
            .from_local_datetime(&(midnight + chrono::Duration::hours(1)))
            .earliest()
            .map(|t| t.naive_utc())
            .unwrap_or(midnight),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_survives_encoding() {
        let cursor = TimelineCursor {
            occurred_at: NaiveDate::from_ymd_opt(2026, 3, 1)
                .unwrap()
                .and_hms_micro_opt(12, 30, 5, 123_456)
                .unwrap(),
            id: AccessEventId(987),
        };
        assert_eq!(TimelineCursor::decode(&cursor.encode()).unwrap(), cursor);
    }

    #[test]
    fn a_garbled_cursor_is_rejected_not_guessed() {
        for bad in ["", "!!!", "bm90LWEtY3Vyc29y", &"A".repeat(100)] {
            assert!(TimelineCursor::decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn local_days_become_utc_bounds_in_the_customers_zone() {
        let query = TimelineQuery {
            from: Some("2026-07-01".into()),
            to: Some("2026-07-01".into()),
            ..Default::default()
        };
        let filter = TimelineFilter::parse(&query, chrono_tz::Europe::Berlin).unwrap();
        assert_eq!(
            filter.occurred_from.unwrap().to_string(),
            "2026-06-30 22:00:00"
        );
        assert_eq!(
            filter.occurred_before.unwrap().to_string(),
            "2026-07-01 22:00:00"
        );
    }

    #[test]
    fn a_period_that_ends_before_it_starts_is_rejected() {
        let query = TimelineQuery {
            from: Some("2026-07-02".into()),
            to: Some("2026-07-01".into()),
            ..Default::default()
        };
        let err = TimelineFilter::parse(&query, chrono_tz::UTC).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidInput { field: "to" });
    }

    #[test]
    fn codes_with_odd_characters_are_rejected() {
        let query = TimelineQuery {
            role: Some("x' OR 1=1".into()),
            ..Default::default()
        };
        assert!(TimelineFilter::parse(&query, chrono_tz::UTC).is_err());
    }

    #[test]
    fn page_size_is_bounded() {
        let query = TimelineQuery {
            limit: Some(1000),
            ..Default::default()
        };
        assert!(TimelineFilter::parse(&query, chrono_tz::UTC).is_err());
    }
}
