//! What a customer wants to be told about accesses to their data, and the signed link that
//! turns it off without signing in.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};

use super::explanation::ExplanationState;
use super::CustomerId;
use crate::transparency::LogKeys;

/// How a customer is told of accesses (form field `mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NotificationMode {
    /// An alert for every access.
    EveryAccess,
    /// An alert for accesses no business record explains, or that rules flagged.
    UnexplainedOnly,
    /// A summary once a week: the quiet default.
    WeeklyDigest,
    /// Nothing (except the data categories the customer always wants to hear about).
    Off,
}

impl NotificationMode {
    pub const ALL: [NotificationMode; 4] = [
        Self::EveryAccess,
        Self::UnexplainedOnly,
        Self::WeeklyDigest,
        Self::Off,
    ];

    /// What a customer who never chose gets.
    pub const DEFAULT: NotificationMode = Self::WeeklyDigest;

    pub fn code(self) -> &'static str {
        match self {
            Self::EveryAccess => "every_access",
            Self::UnexplainedOnly => "unexplained_only",
            Self::WeeklyDigest => "weekly_digest",
            Self::Off => "off",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code.trim())
    }

    /// A stored code; one this version does not know reads as the default.
    pub fn from_stored(code: &str) -> Self {
        Self::parse(code).unwrap_or(Self::DEFAULT)
    }

    /// Whether accesses may need an alert at all (the category exceptions aside).
    pub fn alerts(self) -> bool {
        matches!(self, Self::EveryAccess | Self::UnexplainedOnly)
    }
}

/// Whether an access in `state` is worth an alert under `mode`; `None`: not known yet (the
/// judge has still to decide).
pub fn worth_an_alert(mode: NotificationMode, state: Option<ExplanationState>) -> Option<bool> {
    match mode {
        NotificationMode::EveryAccess => Some(true),
        NotificationMode::UnexplainedOnly => match state {
            None | Some(ExplanationState::Pending) => None,
            Some(ExplanationState::Explained | ExplanationState::Appropriate) => Some(false),
            Some(
                ExplanationState::Unexplained
                | ExplanationState::Flagged
                | ExplanationState::Violation,
            ) => Some(true),
        },
        NotificationMode::WeeklyDigest | NotificationMode::Off => Some(false),
    }
}

/// How long an unsubscribe link in an email works.
pub const UNSUBSCRIBE_LINK_DAYS: i64 = 90;

const UNSUBSCRIBE_PURPOSE: &str = "unsubscribe";

/// A link's proof that it was made for this customer by this server, until it expires:
/// `customer.expires.signature` (Unix seconds, hex HMAC-SHA256).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsubscribeToken {
    pub customer: CustomerId,
    pub expires_at: NaiveDateTime,
}

/// Why an unsubscribe link was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenRefusal {
    /// Not made by this server, or changed since.
    Invalid,
    /// Made by this server, but too long ago.
    Expired,
}

impl UnsubscribeToken {
    pub fn new(customer: CustomerId, now: NaiveDateTime) -> Self {
        Self {
            customer,
            expires_at: now + Duration::days(UNSUBSCRIBE_LINK_DAYS),
        }
    }

    pub fn encode(&self, keys: &LogKeys) -> String {
        let message = format!(
            "{}.{}",
            self.customer.0,
            self.expires_at.and_utc().timestamp()
        );
        let signature = keys.link_signature(UNSUBSCRIBE_PURPOSE, &message);
        format!("{message}.{signature}")
    }

    /// The token a link carries, if this server signed it and it has not expired.
    pub fn parse(raw: &str, keys: &LogKeys, now: NaiveDateTime) -> Result<Self, TokenRefusal> {
        let mut parts = raw.trim().splitn(3, '.');
        let (Some(customer), Some(expires), Some(signature)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenRefusal::Invalid);
        };
        let message = format!("{customer}.{expires}");
        if !keys.link_signature_matches(UNSUBSCRIBE_PURPOSE, &message, signature) {
            return Err(TokenRefusal::Invalid);
        }
        let customer = customer.parse().map_err(|_| TokenRefusal::Invalid)?;
        let expires_at = expires
            .parse()
            .ok()
            .and_then(|seconds| DateTime::<Utc>::from_timestamp(seconds, 0))
            .ok_or(TokenRefusal::Invalid)?
            .naive_utc();
        if expires_at <= now {
            return Err(TokenRefusal::Expired);
        }
        Ok(Self {
            customer: CustomerId(customer),
            expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh_keys() -> (LogKeys, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "einblick_token_keys_{}_{}",
            std::process::id(),
            crate::auth::session::new_token()
        ));
        (
            LogKeys::load_or_create(&dir, "einblick.test/log").unwrap(),
            dir,
        )
    }

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn a_token_this_server_made_opens_until_it_expires() {
        let (keys, dir) = fresh_keys();
        let made = UnsubscribeToken::new(CustomerId(42), at("2026-11-30 10:00"));
        let link = made.encode(&keys);
        assert_eq!(
            UnsubscribeToken::parse(&link, &keys, at("2027-01-30 10:00")),
            Ok(made.clone())
        );
        assert_eq!(
            UnsubscribeToken::parse(&link, &keys, at("2027-02-28 10:01")),
            Err(TokenRefusal::Expired)
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_changed_customer_expiry_or_signature_is_refused() {
        let (keys, dir) = fresh_keys();
        let now = at("2026-11-30 10:00");
        let link = UnsubscribeToken::new(CustomerId(42), now).encode(&keys);
        let (message, signature) = link.rsplit_once('.').unwrap();
        let (_, expires) = message.split_once('.').unwrap();
        let flipped: String = signature
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i == 0 {
                    if c == 'a' {
                        'b'
                    } else {
                        'a'
                    }
                } else {
                    c
                }
            })
            .collect();
        for forged in [
            format!("43.{expires}.{signature}"),
            format!(
                "42.{}.{signature}",
                expires.parse::<i64>().unwrap() + 86_400
            ),
            format!("{message}.{flipped}"),
            format!("{message}."),
            "42".to_owned(),
            String::new(),
        ] {
            assert_eq!(
                UnsubscribeToken::parse(&forged, &keys, now),
                Err(TokenRefusal::Invalid),
                "{forged}"
            );
        }
        let (other_keys, other_dir) = fresh_keys();
        assert_eq!(
            UnsubscribeToken::parse(&link, &other_keys, now),
            Err(TokenRefusal::Invalid)
        );
        let _ = std::fs::remove_dir_all(dir);
        let _ = std::fs::remove_dir_all(other_dir);
    }

    #[test]
    fn unexplained_only_waits_for_the_judge_and_skips_what_is_explained() {
        use ExplanationState::*;
        let mode = NotificationMode::UnexplainedOnly;
        assert_eq!(worth_an_alert(mode, None), None);
        assert_eq!(worth_an_alert(mode, Some(Pending)), None);
        assert_eq!(worth_an_alert(mode, Some(Explained)), Some(false));
        assert_eq!(worth_an_alert(mode, Some(Flagged)), Some(true));
        assert_eq!(worth_an_alert(mode, Some(Unexplained)), Some(true));
        assert_eq!(
            worth_an_alert(NotificationMode::EveryAccess, None),
            Some(true)
        );
        assert_eq!(
            worth_an_alert(NotificationMode::WeeklyDigest, Some(Flagged)),
            Some(false)
        );
    }

    #[test]
    fn modes_read_from_their_codes() {
        for mode in NotificationMode::ALL {
            assert_eq!(NotificationMode::parse(mode.code()), Some(mode));
        }
        assert_eq!(NotificationMode::parse("sometimes"), None);
        assert_eq!(
            NotificationMode::from_stored("sometimes"),
            NotificationMode::WeeklyDigest
        );
    }
}
