//! Signed links that act without signing in: unsubscribing from an email, and undoing that on
//! the page it leads to. Each names the customer and expires; the undo link also carries the
//! exact choice it restores, so it can restore nothing else.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};

use crate::domain::notification::NotificationMode;
use crate::domain::CustomerId;
use crate::transparency::LogKeys;

/// How long an unsubscribe link in an email works.
pub const UNSUBSCRIBE_LINK_DAYS: i64 = 90;
/// How long the undo button on the unsubscribe page works.
pub const UNDO_MINUTES: i64 = 30;

const UNSUBSCRIBE_PURPOSE: &str = "unsubscribe";
const UNDO_PURPOSE: &str = "unsubscribe-undo";

/// Why a link was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenRefusal {
    /// Not made by this server, or changed since.
    Invalid,
    /// Made by this server, but too long ago.
    Expired,
}

/// `customer.expires.signature` (Unix seconds, hex HMAC-SHA256).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsubscribeToken {
    pub customer: CustomerId,
    pub expires_at: NaiveDateTime,
}

impl UnsubscribeToken {
    pub fn new(customer: CustomerId, now: NaiveDateTime) -> Self {
        Self {
            customer,
            expires_at: now + Duration::days(UNSUBSCRIBE_LINK_DAYS),
        }
    }

    pub fn encode(&self, keys: &LogKeys) -> String {
        sign(
            keys,
            UNSUBSCRIBE_PURPOSE,
            &format!("{}.{}", self.customer.0, unix(self.expires_at)),
        )
    }

    /// The token a link carries, if this server signed it and it has not expired.
    pub fn parse(raw: &str, keys: &LogKeys, now: NaiveDateTime) -> Result<Self, TokenRefusal> {
        let fields = verify(raw, keys, UNSUBSCRIBE_PURPOSE)?;
        let [customer, expires] = fields.as_slice() else {
            return Err(TokenRefusal::Invalid);
        };
        let token = Self {
            customer: CustomerId(customer.parse().map_err(|_| TokenRefusal::Invalid)?),
            expires_at: from_unix(expires)?,
        };
        if token.expires_at <= now {
            return Err(TokenRefusal::Expired);
        }
        Ok(token)
    }
}

/// The choice a customer had before unsubscribing, signed for the undo button.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UndoToken {
    pub customer: CustomerId,
    pub mode: NotificationMode,
    pub always: Vec<String>,
    pub quiet_weeks: bool,
    pub expires_at: NaiveDateTime,
}

impl UndoToken {
    pub fn encode(&self, keys: &LogKeys) -> String {
        // Category codes are feed codes (letters, digits, `_`, `-`, `.`): a comma separates them.
        sign(
            keys,
            UNDO_PURPOSE,
            &format!(
                "{}.{}.{}.{}.{}",
                self.customer.0,
                unix(self.expires_at),
                self.mode.code(),
                u8::from(self.quiet_weeks),
                self.always.join(",").replace('.', "%2E"),
            ),
        )
    }

    pub fn parse(raw: &str, keys: &LogKeys, now: NaiveDateTime) -> Result<Self, TokenRefusal> {
        let fields = verify(raw, keys, UNDO_PURPOSE)?;
        let [customer, expires, mode, quiet, always] = fields.as_slice() else {
            return Err(TokenRefusal::Invalid);
        };
        let token = Self {
            customer: CustomerId(customer.parse().map_err(|_| TokenRefusal::Invalid)?),
            expires_at: from_unix(expires)?,
            mode: NotificationMode::parse(mode).ok_or(TokenRefusal::Invalid)?,
            quiet_weeks: *quiet == "1",
            always: always
                .split(',')
                .filter(|c| !c.is_empty())
                .map(|c| c.replace("%2E", "."))
                .collect(),
        };
        if token.expires_at <= now {
            return Err(TokenRefusal::Expired);
        }
        Ok(token)
    }
}

fn unix(at: NaiveDateTime) -> i64 {
    at.and_utc().timestamp()
}

fn from_unix(text: &str) -> Result<NaiveDateTime, TokenRefusal> {
    text.parse()
        .ok()
        .and_then(|seconds| DateTime::<Utc>::from_timestamp(seconds, 0))
        .map(|at| at.naive_utc())
        .ok_or(TokenRefusal::Invalid)
}

fn sign(keys: &LogKeys, purpose: &str, message: &str) -> String {
    format!("{message}.{}", keys.link_signature(purpose, message))
}

/// The dot-separated fields of a token whose signature (the last field) matches.
fn verify(raw: &str, keys: &LogKeys, purpose: &str) -> Result<Vec<String>, TokenRefusal> {
    let (message, signature) = raw.trim().rsplit_once('.').ok_or(TokenRefusal::Invalid)?;
    if !keys.link_signature_matches(purpose, message, signature) {
        return Err(TokenRefusal::Invalid);
    }
    Ok(message.split('.').map(str::to_owned).collect())
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
            .map(|(i, c)| match (i, c) {
                (0, 'a') => 'b',
                (0, _) => 'a',
                _ => c,
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
    fn an_undo_restores_exactly_what_it_was_made_for_and_nothing_else() {
        let (keys, dir) = fresh_keys();
        let now = at("2026-11-30 10:00");
        let undo = UndoToken {
            customer: CustomerId(7),
            mode: NotificationMode::UnexplainedOnly,
            always: vec!["payment_methods".into(), "addresses".into()],
            quiet_weeks: true,
            expires_at: now + Duration::minutes(UNDO_MINUTES),
        };
        let encoded = undo.encode(&keys);
        assert_eq!(UndoToken::parse(&encoded, &keys, now), Ok(undo.clone()));
        let widened = encoded.replace("unexplained_only", "every_access");
        assert_eq!(
            UndoToken::parse(&widened, &keys, now),
            Err(TokenRefusal::Invalid)
        );
        // An unsubscribe link is no undo token, and the other way round.
        let unsubscribe = UnsubscribeToken::new(CustomerId(7), now).encode(&keys);
        assert_eq!(
            UndoToken::parse(&unsubscribe, &keys, now),
            Err(TokenRefusal::Invalid)
        );
        assert_eq!(
            UnsubscribeToken::parse(&encoded, &keys, now),
            Err(TokenRefusal::Invalid)
        );
        assert_eq!(
            UndoToken::parse(&encoded, &keys, now + Duration::hours(1)),
            Err(TokenRefusal::Expired)
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
