//! The admin pages of the back office: staff accounts and the feed (health, dead letters,
//! unknown codes, tokens).

use serde::{Deserialize, Serialize};

use super::ids::{DeadLetterId, FeedTokenId, ServiceTokenId, StaffAccountId};

use super::backoffice::StaffViewer;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffAccount {
    pub id: StaffAccountId,
    pub name: String,
    pub email: String,
    pub role: String,
    pub authority: Option<String>,
    pub active: bool,
    /// False for accounts that will sign in through SSO only.
    pub password_sign_in: bool,
    /// Linked to the company's identity provider.
    pub sso: bool,
    /// `YYYY-MM-DD HH:MM` Berlin time; `None` before the first sign-in.
    pub last_signed_in_at: Option<String>,
    pub is_viewer: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffAccounts {
    pub viewer: StaffViewer,
    pub accounts: Vec<StaffAccount>,
}

/// One feed source's recent traffic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceHealth {
    /// Empty for rejects whose source could not be read.
    pub source: String,
    pub accepted_last_hour: u64,
    /// Accepted events per minute over the last hour, one decimal.
    pub per_minute: String,
    pub rejected_last_day: u64,
    /// `YYYY-MM-DD HH:MM` Berlin time.
    pub last_received_at: String,
    pub minutes_since_last: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetterSummary {
    pub id: DeadLetterId,
    pub received_at: String,
    pub transport: String,
    pub source: Option<String>,
    pub event_id: Option<String>,
    pub reason: String,
    pub replayed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownCode {
    /// `role`, `data_category` or `reason`.
    pub kind: String,
    pub code: String,
    pub events: u64,
    pub last_seen_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedTokenSummary {
    pub id: FeedTokenId,
    pub label: String,
    pub sources: Vec<String>,
    pub created_at: String,
    pub revoked: bool,
}

/// A token the shop's backend opens portal sessions with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceTokenSummary {
    pub id: ServiceTokenId,
    pub label: String,
    pub created_at: String,
    pub revoked: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedAdmin {
    pub viewer: StaffViewer,
    pub sources: Vec<SourceHealth>,
    pub dead_letters: Vec<DeadLetterSummary>,
    pub open_dead_letters: u64,
    pub unknown_codes: Vec<UnknownCode>,
    pub tokens: Vec<FeedTokenSummary>,
    pub service_tokens: Vec<ServiceTokenSummary>,
    /// Notification emails per day, newest first (the last 14 days).
    pub email_days: Vec<EmailDay>,
    /// When the oldest email still waiting to be sent was queued (Berlin time); `None`: none.
    pub oldest_unsent: Option<String>,
}

/// One day of notification emails (UTC day).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailDay {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub queued: i64,
    pub sent: i64,
    /// Given up on after every retry.
    pub failed: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetterDetail {
    pub viewer: StaffViewer,
    pub summary: DeadLetterSummary,
    /// The raw bytes as text, when they are UTF-8.
    pub raw_text: Option<String>,
    pub raw_base64: String,
    pub byte_len: u64,
    /// Why the last replay was refused, if it was.
    pub replay_error: Option<String>,
}
