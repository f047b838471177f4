//! Row ids as their own types: a dead letter's id can never be used where a feed token's is
//! meant, on the server or in a page. Serialised as plain integers.

use serde::{Deserialize, Serialize};

macro_rules! row_id {
    ($($(#[$doc:meta])* $name:ident),+ $(,)?) => {
        $(
            $(#[$doc])*
            #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
            #[serde(transparent)]
            pub struct $name(pub i64);

            impl std::fmt::Display for $name {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    self.0.fmt(f)
                }
            }

            impl std::str::FromStr for $name {
                type Err = std::num::ParseIntError;

                fn from_str(raw: &str) -> Result<Self, Self::Err> {
                    raw.trim().parse().map(Self)
                }
            }
        )+
    };
}

row_id!(
    /// A supervisory authority's case in Einblick.
    RegulatorCaseId,
    /// A feed token (never the token itself).
    FeedTokenId,
    /// An event kept in the dead-letter store.
    DeadLetterId,
    /// A back-office account.
    StaffAccountId,
    /// A credential of the shop's backend (never the token itself).
    ServiceTokenId,
);
