//! One access to a customer's data, as the feed contract (`einblick.access.v1`) describes it:
//! what the parser returns, with every member checked and typed. `db::access_event` maps it to
//! its row.

use chrono::NaiveDateTime;

use super::dispute::{is_hidden_character, UnknownCode};
use super::CustomerRef;

/// What was done with the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    View,
    Search,
    Export,
    Modify,
    Delete,
}

impl Action {
    pub const ALL: [Action; 5] = [
        Self::View,
        Self::Search,
        Self::Export,
        Self::Modify,
        Self::Delete,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Search => "search",
            Self::Export => "export",
            Self::Modify => "modify",
            Self::Delete => "delete",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, UnknownCode> {
        Self::ALL
            .into_iter()
            .find(|a| a.code() == raw)
            .ok_or_else(|| UnknownCode::new("action", raw))
    }
}

/// Why the data was accessed. The feed may send the first seven; Einblick itself records
/// `supervisory_review` for a regulator's looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReasonCode {
    CustomerRequest,
    OrderFulfilment,
    PaymentAndFraud,
    LegalObligation,
    TechnicalOperations,
    QualityAssurance,
    None,
    SupervisoryReview,
}

impl ReasonCode {
    /// The reason codes of the feed contract, in its order.
    pub const FEED: [ReasonCode; 7] = [
        Self::CustomerRequest,
        Self::OrderFulfilment,
        Self::PaymentAndFraud,
        Self::LegalObligation,
        Self::TechnicalOperations,
        Self::QualityAssurance,
        Self::None,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::CustomerRequest => "customer_request",
            Self::OrderFulfilment => "order_fulfilment",
            Self::PaymentAndFraud => "payment_and_fraud",
            Self::LegalObligation => "legal_obligation",
            Self::TechnicalOperations => "technical_operations",
            Self::QualityAssurance => "quality_assurance",
            Self::None => "none",
            Self::SupervisoryReview => "supervisory_review",
        }
    }

    /// A reason the feed may send.
    pub fn parse_feed(raw: &str) -> Result<Self, UnknownCode> {
        Self::FEED
            .into_iter()
            .find(|r| r.code() == raw)
            .ok_or_else(|| UnknownCode::new("reason code", raw))
    }
}

/// A role or data-category code: letters, digits, `_`, `-` or `.`, at most 64 characters. Codes
/// without a label are still accepted (they are shown with a generic one).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Code(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a code of letters, digits, '_', '-' or '.'")]
pub struct InvalidCode;

impl Code {
    pub fn parse(raw: &str) -> Result<Self, InvalidCode> {
        if crate::domain::timeline_filter::is_code(raw) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidCode)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Free text from a system: one line, no control characters or bidi overrides, trimmed, at most
/// a given number of characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FeedText(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedTextError {
    #[error("must not be empty")]
    Empty,
    #[error("is longer than {0} characters")]
    TooLong(usize),
    #[error(
        "contains control characters or bidi overrides (U+0000–U+001F, U+007F–U+009F, \
         U+202A–U+202E, U+2066–U+2069)"
    )]
    Hidden,
}

impl FeedText {
    pub fn parse(raw: &str, max_chars: usize) -> Result<Self, FeedTextError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(FeedTextError::Empty);
        }
        if raw.chars().count() > max_chars {
            return Err(FeedTextError::TooLong(max_chars));
        }
        if raw.chars().any(is_hidden_character) {
            return Err(FeedTextError::Hidden);
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Who accessed the data. The employee stays inside Einblick: customers see the role only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub employee_id: FeedText,
    pub role: Code,
    pub team: Option<FeedText>,
    /// ISO 3166 alpha-2, upper case.
    pub office_country: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    pub code: ReasonCode,
    pub text: Option<FeedText>,
    pub ticket: Option<FeedText>,
}

/// One access event, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessEvent {
    /// The sending system (CloudEvents `source`); with `event_id` the idempotency key.
    pub source: FeedText,
    pub event_id: FeedText,
    /// When the access happened (UTC).
    pub occurred_at: NaiveDateTime,
    pub customer: CustomerRef,
    pub actor: Actor,
    pub data_category: Code,
    pub action: Action,
    pub reason: Reason,
    pub system: Option<FeedText>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_reason_codes_are_exactly_the_contracts() {
        assert!(ReasonCode::parse_feed("supervisory_review").is_err());
        for reason in ReasonCode::FEED {
            assert_eq!(ReasonCode::parse_feed(reason.code()), Ok(reason));
        }
    }

    #[test]
    fn feed_text_is_trimmed_bounded_and_visible() {
        assert_eq!(FeedText::parse("  T-1 ", 8).unwrap().as_str(), "T-1");
        assert_eq!(FeedText::parse("   ", 8), Err(FeedTextError::Empty));
        assert_eq!(
            FeedText::parse("123456789", 8),
            Err(FeedTextError::TooLong(8))
        );
        assert_eq!(FeedText::parse("a\u{0}b", 8), Err(FeedTextError::Hidden));
        assert_eq!(FeedText::parse("a\u{202e}b", 8), Err(FeedTextError::Hidden));
    }

    #[test]
    fn codes_are_identifiers() {
        assert!(Code::parse("cs_agent_t1").is_ok());
        assert!(Code::parse("team lead").is_err());
        assert!(Code::parse("").is_err());
    }
}
