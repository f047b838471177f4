//! Disputes: the customer's ground and statement, the case reference, its states and deadline.

use chrono::{Months, NaiveDate};
use rand::Rng;

/// Row id of a dispute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DisputeId(pub i64);

/// Not a dispute reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a dispute reference looks like EB-7K3M-Q9XD")]
pub struct InvalidReference;

/// A code that names none of the values it may name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}")]
pub struct UnknownCode {
    pub kind: &'static str,
    pub value: String,
}

impl UnknownCode {
    pub fn new(kind: &'static str, value: &str) -> Self {
        Self {
            kind,
            value: value.to_owned(),
        }
    }
}

/// What the customer quotes, e.g. `EB-7K3M-Q9XD`: random, unambiguous characters only.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DisputeReference(String);

/// Crockford's base-32 alphabet: no I, L, O or U to misread.
const REFERENCE_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

impl DisputeReference {
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let mut part = || -> String {
            (0..4)
                .map(|_| REFERENCE_ALPHABET[rng.random_range(0..REFERENCE_ALPHABET.len())] as char)
                .collect()
        };
        Self(format!("EB-{}-{}", part(), part()))
    }

    /// Case-insensitive; surrounding spaces ignored.
    pub fn parse(raw: &str) -> Result<Self, InvalidReference> {
        let upper = raw.trim().to_ascii_uppercase();
        let parts: Vec<&str> = upper.split('-').collect();
        let valid = parts.len() == 3
            && parts[0] == "EB"
            && parts[1..]
                .iter()
                .all(|p| p.len() == 4 && p.bytes().all(|b| REFERENCE_ALPHABET.contains(&b)));
        if valid {
            Ok(Self(upper))
        } else {
            Err(InvalidReference)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for DisputeReference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why the customer disputes the access; the form's `ground` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisputeGround {
    NotRecognised,
    WrongReason,
    NeverContacted,
    Other,
}

impl DisputeGround {
    pub const ALL: [DisputeGround; 4] = [
        Self::NotRecognised,
        Self::WrongReason,
        Self::NeverContacted,
        Self::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::NotRecognised => "not_recognised",
            Self::WrongReason => "wrong_reason",
            Self::NeverContacted => "never_contacted",
            Self::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, UnknownCode> {
        Self::ALL
            .into_iter()
            .find(|g| g.code() == raw.trim())
            .ok_or_else(|| UnknownCode::new("ground", raw))
    }
}

/// Longest statement or message a customer or staff member may write, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;

/// Free text from a person: trimmed, 1 to [`MAX_TEXT_CHARS`] characters, line breaks kept and
/// normalised, other control characters and bidi overrides removed (they only ever hide things).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlainText(String);

#[derive(Debug, PartialEq, Eq)]
pub enum PlainTextError {
    Empty,
    TooLong,
}

impl PlainText {
    pub fn parse(raw: &str) -> Result<Self, PlainTextError> {
        let cleaned: String = raw
            .replace("\r\n", "\n")
            .replace('\r', "\n")
            .chars()
            .filter(|c| *c == '\n' || *c == '\t' || !(c.is_control() || is_bidi_override(*c)))
            .collect();
        let trimmed = cleaned.trim();
        if trimmed.is_empty() {
            return Err(PlainTextError::Empty);
        }
        if trimmed.chars().count() > MAX_TEXT_CHARS {
            return Err(PlainTextError::TooLong);
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Bidirectional overrides can make text read differently from what it says.
/// Bidi embeddings, overrides and isolates: they reorder how text is shown, so a reason can read
/// differently from what it says.
pub fn is_bidi_override(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A character no stored text may hold: control characters (U+0000 among them, which
/// PostgreSQL refuses outright) and bidi overrides.
pub fn is_hidden_character(c: char) -> bool {
    c.is_control() || is_bidi_override(c)
}

/// `open → in_review → (waiting_for_customer) → upheld | rejected`, or `withdrawn`. Stored as
/// its code (`db::codes`).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum DisputeStatus {
    Open,
    InReview,
    WaitingForCustomer,
    Upheld,
    Rejected,
    Withdrawn,
}

impl DisputeStatus {
    pub const ALL: [DisputeStatus; 6] = [
        Self::Open,
        Self::InReview,
        Self::WaitingForCustomer,
        Self::Upheld,
        Self::Rejected,
        Self::Withdrawn,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::InReview => "in_review",
            Self::WaitingForCustomer => "waiting_for_customer",
            Self::Upheld => "upheld",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, UnknownCode> {
        Self::ALL
            .into_iter()
            .find(|s| s.code() == raw)
            .ok_or_else(|| UnknownCode::new("dispute status", raw))
    }

    /// Decided or withdrawn: nothing more happens to the case.
    pub fn is_closed(self) -> bool {
        matches!(self, Self::Upheld | Self::Rejected | Self::Withdrawn)
    }
}

/// The statutory deadline of a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline {
    pub original: NaiveDate,
    pub extended: Option<NaiveDate>,
}

/// Longest extension GDPR Art. 12(3) allows, in months.
pub const MAX_EXTENSION_MONTHS: u32 = 2;

impl Deadline {
    /// One calendar month after the day of receipt; a day the month lacks becomes its last day
    /// (31 January → 28 or 29 February).
    pub fn for_receipt(received_on: NaiveDate) -> Self {
        Self {
            original: add_months(received_on, 1),
            extended: None,
        }
    }

    pub fn due_on(self) -> NaiveDate {
        self.extended.unwrap_or(self.original)
    }

    /// Extends once, by 1 or 2 months counted from the original due date.
    pub fn extend(self, months: u32) -> Result<Self, &'static str> {
        if self.extended.is_some() {
            return Err("the deadline was already extended once");
        }
        if months == 0 || months > MAX_EXTENSION_MONTHS {
            return Err("an extension is one or two months");
        }
        Ok(Self {
            extended: Some(add_months(self.original, months)),
            ..self
        })
    }

    /// Overdue once the due day has passed without an answer.
    pub fn is_overdue(self, today: NaiveDate, status: DisputeStatus) -> bool {
        !status.is_closed() && today > self.due_on()
    }
}

fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    // chrono clamps to the month's last day; it only fails beyond year 262143.
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_dispute_is_due_one_calendar_month_after_receipt() {
        assert_eq!(
            Deadline::for_receipt(day(2026, 11, 27)).due_on(),
            day(2026, 12, 27)
        );
        assert_eq!(
            Deadline::for_receipt(day(2026, 12, 15)).due_on(),
            day(2027, 1, 15)
        );
    }

    #[test]
    fn the_31st_of_january_is_due_on_the_last_day_of_february() {
        assert_eq!(
            Deadline::for_receipt(day(2027, 1, 31)).due_on(),
            day(2027, 2, 28)
        );
        assert_eq!(
            Deadline::for_receipt(day(2028, 1, 31)).due_on(),
            day(2028, 2, 29)
        );
        assert_eq!(
            Deadline::for_receipt(day(2028, 1, 29)).due_on(),
            day(2028, 2, 29)
        );
        assert_eq!(
            Deadline::for_receipt(day(2026, 3, 31)).due_on(),
            day(2026, 4, 30)
        );
        assert_eq!(
            Deadline::for_receipt(day(2026, 8, 31)).due_on(),
            day(2026, 9, 30)
        );
    }

    #[test]
    fn leap_day_receipts_are_due_on_the_29th_of_march() {
        assert_eq!(
            Deadline::for_receipt(day(2028, 2, 29)).due_on(),
            day(2028, 3, 29)
        );
    }

    #[test]
    fn an_extension_counts_from_the_original_due_date_and_clamps_too() {
        let deadline = Deadline::for_receipt(day(2026, 11, 30)); // due 2026-12-30
        assert_eq!(deadline.extend(2).unwrap().due_on(), day(2027, 2, 28));
        let deadline = Deadline::for_receipt(day(2027, 11, 30)); // due 2027-12-30
        assert_eq!(deadline.extend(2).unwrap().due_on(), day(2028, 2, 29));
        assert_eq!(deadline.extend(1).unwrap().due_on(), day(2028, 1, 30));
    }

    #[test]
    fn a_deadline_extends_once_by_at_most_two_months() {
        let deadline = Deadline::for_receipt(day(2026, 1, 10));
        assert!(deadline.extend(0).is_err());
        assert!(deadline.extend(3).is_err());
        assert!(deadline.extend(2).unwrap().extend(1).is_err());
    }

    #[test]
    fn a_case_is_overdue_after_its_due_day_unless_closed() {
        let deadline = Deadline::for_receipt(day(2026, 1, 10));
        assert!(!deadline.is_overdue(day(2026, 2, 10), DisputeStatus::Open));
        assert!(deadline.is_overdue(day(2026, 2, 11), DisputeStatus::InReview));
        assert!(!deadline.is_overdue(day(2026, 2, 11), DisputeStatus::Rejected));
    }

    #[test]
    fn references_are_generated_in_the_format_they_are_parsed_in() {
        let reference = DisputeReference::generate();
        assert_eq!(
            DisputeReference::parse(reference.as_str()).unwrap(),
            reference
        );
        assert_eq!(
            DisputeReference::parse(" eb-7k3m-q9xd ").unwrap().as_str(),
            "EB-7K3M-Q9XD"
        );
        for bad in [
            "",
            "EB-7K3M",
            "XX-7K3M-Q9XD",
            "EB-7K3M-Q9X",
            "EB-ILOU-Q9XD",
            "EB-7K3M-Q9XD-1",
        ] {
            assert!(DisputeReference::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn statements_keep_line_breaks_and_drop_other_control_characters() {
        let text = PlainText::parse("  Hello\r\nworld\u{0}\u{202e}!  ").unwrap();
        assert_eq!(text.as_str(), "Hello\nworld!");
        assert_eq!(PlainText::parse(" \n\t "), Err(PlainTextError::Empty));
        assert_eq!(
            PlainText::parse(&"ä".repeat(MAX_TEXT_CHARS + 1)),
            Err(PlainTextError::TooLong)
        );
        assert!(PlainText::parse(&"ä".repeat(MAX_TEXT_CHARS)).is_ok());
    }

    #[test]
    fn grounds_and_statuses_parse_from_their_codes_only() {
        for ground in DisputeGround::ALL {
            assert_eq!(DisputeGround::parse(ground.code()), Ok(ground));
        }
        assert!(DisputeGround::parse("because").is_err());
        for status in DisputeStatus::ALL {
            assert_eq!(DisputeStatus::parse(status.code()), Ok(status));
        }
        assert!(DisputeStatus::parse("OPEN").is_err());
    }
}
