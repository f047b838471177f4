//! What the UI and the JSON API exchange with the server. Plain data, no behaviour beyond encoding.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub mod admin;
pub mod backoffice;
pub mod disputes;
pub mod ids;
pub mod investigations;
pub mod notifications;
pub mod regulator;
pub mod reports;
pub mod statistics;

/// The signed-in customer, as every customer page's header shows them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub name: String,
    /// The shop's account page ("back to your account"), when the shop opened this session.
    pub account_url: Option<String>,
}

/// The ways in a sign-in page offers (`EINBLICK_CUSTOMER_SIGN_IN`, staff single sign-on).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInOptions {
    /// Email and password.
    pub password: bool,
    /// The identity provider's name, when sign-in through it is offered.
    pub provider: Option<String>,
    /// Customers arrive from the shop's account page (portal sessions).
    pub from_shop: bool,
}

/// A set-password link, as its page needs to know it (the link itself is not used up by
/// looking).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordLinkView {
    /// Unused and not expired.
    pub usable: bool,
    /// An invitation (first password) rather than a reset.
    pub invitation: bool,
}

/// The timeline's filters and paging position, exactly as they arrive in the URL.
/// The server parses them (dates, codes, cursor) and rejects bad values with `InvalidFilter`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TimelineQuery {
    /// First local day to include, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Last local day to include, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// A data category code, e.g. `purchase_history`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// A role code, e.g. `cs_agent_t1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// A reason code, e.g. `customer_request`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `unexplained` (not explained by a business record or the privacy team), `explained`,
    /// or one state: `flagged`, `appropriate`, `violation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    /// Opaque position returned as `next_cursor` by the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Entries per page, 1–200 (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

impl TimelineQuery {
    pub const FILTER_KEYS: [&'static str; 6] =
        ["from", "to", "category", "role", "reason", "explanation"];

    /// Reads the query from URL parameters, treating empty values as absent.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut query = TimelineQuery::default();
        for (key, value) in pairs {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let value = Some(value.to_owned());
            match key {
                "from" => query.from = value,
                "to" => query.to = value,
                "category" => query.category = value,
                "role" => query.role = value,
                "reason" => query.reason = value,
                "explanation" => query.explanation = value,
                "cursor" => query.cursor = value,
                "limit" => query.limit = value.and_then(|v| v.parse().ok()),
                _ => {}
            }
        }
        query
    }

    pub fn has_filters(&self) -> bool {
        self.from.is_some()
            || self.to.is_some()
            || self.category.is_some()
            || self.role.is_some()
            || self.reason.is_some()
            || self.explanation.is_some()
    }

    /// The URL query string (without `?`) for these filters at another paging position.
    pub fn to_query_string(&self, cursor: Option<&str>) -> String {
        let limit = self.limit.map(|l| l.to_string());
        let pairs = [
            ("from", self.from.as_deref()),
            ("to", self.to.as_deref()),
            ("category", self.category.as_deref()),
            ("role", self.role.as_deref()),
            ("reason", self.reason.as_deref()),
            ("explanation", self.explanation.as_deref()),
            ("limit", limit.as_deref()),
            ("cursor", cursor),
        ];
        pairs
            .iter()
            .filter_map(|(key, value)| value.map(|v| format!("{key}={}", percent_encode(v))))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Percent-encodes everything outside RFC 3986's unreserved characters.
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// One page of a customer's timeline, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelinePage {
    pub entries: Vec<TimelineEntry>,
    /// Pass as `cursor` to get the next older page; absent on the last page.
    pub next_cursor: Option<String>,
    /// IANA time zone the local dates and times are given in.
    pub time_zone: String,
    pub coverage: LogCoverage,
    pub filter_options: FilterOptions,
    pub viewer: Viewer,
}

/// The timeline as the page shows it: the page's data, its entries rendered to HTML on the server
/// (`entries` of `page` is empty), so that the page, or the server function's answer, carries
/// each entry once, as HTML.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineScreen {
    pub page: TimelinePage,
    pub entry_count: usize,
    pub entries_html: RenderedHtml,
}

/// HTML the page puts in as it is (`inner_html`). Only `components::timeline_entry` makes it,
/// whose escaping every text in it goes through; nothing else can build one from a string.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RenderedHtml(String);

impl RenderedHtml {
    /// Only for `components::timeline_entry`'s writer: `html` is taken as it is.
    pub(crate) fn from_escaping_writer(html: String) -> Self {
        Self(html)
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// One access to the customer's data. Never carries the employee's name or id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// Stable identifier of the entry, e.g. for disputes.
    pub id: String,
    /// When the access happened, RFC 3339 in UTC.
    pub occurred_at: String,
    /// The customer's local calendar day of the access.
    pub local_date: NaiveDate,
    /// The customer's local clock time, `HH:MM`.
    pub local_time: String,
    pub role: Labelled,
    /// What the role does, in the requested language.
    pub role_description: String,
    pub data_category: Labelled,
    pub action: Labelled,
    pub reason: Labelled,
    /// The employee's own words for the reason, when given.
    pub reason_text: Option<String>,
    /// The support ticket or case the access belongs to, when given.
    pub ticket: Option<String>,
    /// The internal system the access was made in.
    pub system: Option<String>,
    /// Why the access happened as far as the retailer's records tell, or that it is being
    /// reviewed. Never the employee or the rules' internals.
    #[serde(default)]
    pub explanation: Option<ExplanationView>,
}

/// An access's explanation, for the customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExplanationView {
    /// `explained`, `unexplained`, `flagged`, `appropriate` or `violation`.
    pub state: String,
    pub text: String,
}

/// A code with its label in the requested language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Labelled {
    pub code: String,
    pub label: String,
}

/// Which period and which systems the log covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogCoverage {
    pub since: Option<NaiveDate>,
    pub systems: Vec<String>,
    /// The witnesses whose cosignatures make the log's newest witnessed checkpoint count under
    /// the witness policy; empty when the log has no witnesses (yet).
    #[serde(default)]
    pub witnessed_by: Vec<String>,
}

/// The values the filter form offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FilterOptions {
    pub categories: Vec<Labelled>,
    pub roles: Vec<Labelled>,
    pub reasons: Vec<Labelled>,
}

/// Why a portal request failed, as the UI can explain it to the customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PortalError {
    NotSignedIn,
    InvalidFilter {
        field: String,
    },
    InvalidCursor,
    /// Not there, or not this person's to see: the two are deliberately indistinguishable.
    NotFound,
    /// Signed in, but the role does not allow this.
    Forbidden,
    /// The page shows a customer's data, and opening it is logged as an access; this request
    /// was no deliberate look (a prefetch, or a link followed from another site), so it takes
    /// a click on this site first.
    LookNotConfirmed,
    Unavailable,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_string_round_trips_through_from_pairs() {
        let query = TimelineQuery {
            from: Some("2026-01-01".into()),
            role: Some("cs agent&x".into()),
            ..Default::default()
        };
        let encoded = query.to_query_string(Some("abc"));
        assert_eq!(encoded, "from=2026-01-01&role=cs%20agent%26x&cursor=abc");
    }

    #[test]
    fn empty_url_values_count_as_absent() {
        let query = TimelineQuery::from_pairs([("from", ""), ("role", " cs_agent_t1 ")]);
        assert_eq!(query.from, None);
        assert_eq!(query.role.as_deref(), Some("cs_agent_t1"));
    }
}
