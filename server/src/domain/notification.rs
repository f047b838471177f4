//! What a customer wants to be told about accesses to their data.

use super::explanation::ExplanationState;

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

#[cfg(test)]
mod tests {
    use super::*;

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
