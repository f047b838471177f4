//! Newtype ids: a customer id can never be passed where an event id is expected.

use serde::{Deserialize, Serialize};

pub use app::dto::ids::{
    DeadLetterId, FeedTokenId, RegulatorCaseId, ServiceTokenId, StaffAccountId,
};

macro_rules! integer_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

integer_id!(
    /// Row id of a customer account in Einblick.
    CustomerId
);
integer_id!(
    /// Row id of an Einblick staff account.
    StaffUserId
);
integer_id!(
    /// Row id of a stored access event; also its position in ingestion order.
    AccessEventId
);

/// The retailer's reference for a customer, as it appears in the audit feed (e.g. `C-100042`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CustomerRef(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomerRefError {
    #[error("a customer reference has 1 to 64 characters")]
    Length,
    #[error("a customer reference has only printable ASCII characters")]
    NotPrintable,
}

impl CustomerRef {
    /// 1–64 printable ASCII characters without spaces.
    pub fn parse(raw: &str) -> Result<Self, CustomerRefError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.len() > 64 {
            return Err(CustomerRefError::Length);
        }
        if !trimmed.chars().all(|c| c.is_ascii_graphic()) {
            return Err(CustomerRefError::NotPrintable);
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CustomerRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_ref_rejects_blank_and_spaced_values() {
        assert!(CustomerRef::parse("").is_err());
        assert!(CustomerRef::parse("C 1").is_err());
        assert_eq!(
            CustomerRef::parse(" C-100042 ").unwrap().as_str(),
            "C-100042"
        );
    }
}
