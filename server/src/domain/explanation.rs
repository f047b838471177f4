//! What the privacy machinery concludes about an access: explained by a business record,
//! unexplained, or flagged by rules (and, once the privacy team decided, appropriate or a
//! violation). The rules are named here with what they mean in plain language.

use std::fmt;

use app::i18n::Lang;

/// The state of one access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExplanationState {
    Explained,
    Unexplained,
    Flagged,
    /// The privacy team looked and found the access justified.
    Appropriate,
    /// The privacy team found it was not.
    Violation,
    /// Waiting to be evaluated (again).
    Pending,
}

impl ExplanationState {
    pub const SHOWN: [ExplanationState; 5] = [
        Self::Explained,
        Self::Unexplained,
        Self::Flagged,
        Self::Appropriate,
        Self::Violation,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Explained => "explained",
            Self::Unexplained => "unexplained",
            Self::Flagged => "flagged",
            Self::Appropriate => "appropriate",
            Self::Violation => "violation",
            Self::Pending => "pending",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [
            Self::Explained,
            Self::Unexplained,
            Self::Flagged,
            Self::Appropriate,
            Self::Violation,
            Self::Pending,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }

    /// Decided by the privacy team: evaluation leaves it alone.
    pub fn is_decided(self) -> bool {
        matches!(self, Self::Appropriate | Self::Violation)
    }
}

/// The timeline's `explanation` filter: a state, or `unexplained` for everything no business
/// record or privacy-team decision explains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExplanationFilter {
    /// Unexplained, flagged or a violation.
    NotExplained,
    /// Explained by a record, or confirmed by the privacy team.
    Explained,
    One(ExplanationState),
}

impl ExplanationFilter {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "unexplained" => Some(Self::NotExplained),
            "explained" => Some(Self::Explained),
            "pending" => None,
            other => ExplanationState::parse(other).map(Self::One),
        }
    }

    /// The stored states the filter selects.
    pub fn states(self) -> Vec<&'static str> {
        match self {
            Self::NotExplained => vec!["unexplained", "flagged", "violation", "pending"],
            Self::Explained => vec!["explained", "appropriate"],
            Self::One(state) => vec![state.code()],
        }
    }
}

/// A detection rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    NoReason,
    RequestWithoutTicket,
    UnknownTicket,
    HighProfile,
    SelfLookup,
    SameSurnameOrPostcode,
    SearchUnexplained,
    UnusualVolume,
    OutsideShift,
    RepeatedUnexplained,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Rule {
    pub const ALL: [Rule; 10] = [
        Self::NoReason,
        Self::RequestWithoutTicket,
        Self::UnknownTicket,
        Self::HighProfile,
        Self::SelfLookup,
        Self::SameSurnameOrPostcode,
        Self::SearchUnexplained,
        Self::UnusualVolume,
        Self::OutsideShift,
        Self::RepeatedUnexplained,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::NoReason => "no_reason",
            Self::RequestWithoutTicket => "request_without_ticket",
            Self::UnknownTicket => "unknown_ticket",
            Self::HighProfile => "high_profile",
            Self::SelfLookup => "self_lookup",
            Self::SameSurnameOrPostcode => "same_surname_or_postcode",
            Self::SearchUnexplained => "search_unexplained",
            Self::UnusualVolume => "unusual_volume",
            Self::OutsideShift => "outside_shift",
            Self::RepeatedUnexplained => "repeated_unexplained",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// How much a firing adds to an investigation's score: the surer the sign of snooping,
    /// the higher.
    pub fn weight(self) -> i32 {
        match self {
            Self::SelfLookup => 10,
            Self::SameSurnameOrPostcode => 8,
            Self::HighProfile => 6,
            Self::RepeatedUnexplained => 5,
            Self::UnknownTicket => 5,
            Self::UnusualVolume => 4,
            Self::OutsideShift => 3,
            Self::NoReason => 3,
            Self::SearchUnexplained => 2,
            Self::RequestWithoutTicket => 2,
        }
    }

    /// Whether the threshold means something for this rule, and what.
    pub fn threshold_meaning(self, lang: Lang) -> Option<&'static str> {
        let de = lang == Lang::De;
        match self {
            Self::UnusualVolume => Some(if de {
                "Vielfaches des üblichen Werts der Rolle (99. Perzentil verschiedener Kundinnen und Kunden je Stunde)"
            } else {
                "multiple of the role's usual figure (99th percentile of distinct customers per hour)"
            }),
            Self::RepeatedUnexplained => Some(if de {
                "so viele unerklärte Zugriffe derselben Person auf dieselbe Kundin in 30 Tagen"
            } else {
                "this many unexplained looks by one employee at one customer within 30 days"
            }),
            _ => None,
        }
    }

    /// What the rule means, for the admin page and the investigation's evidence.
    pub fn describe(self, lang: Lang) -> &'static str {
        let de = lang == Lang::De;
        match self {
            Self::NoReason => {
                if de {
                    "Kein Grund angegeben, und kein Geschäftsvorgang erklärt den Zugriff."
                } else {
                    "No reason was given, and no business record explains the access."
                }
            }
            Self::RequestWithoutTicket => {
                if de {
                    "Grund »Kundenanfrage«, aber es gibt keine passende Serviceanfrage der Kundin."
                } else {
                    "The reason is a customer request, but the customer has no matching support ticket."
                }
            }
            Self::UnknownTicket => {
                if de {
                    "Die angegebene Serviceanfrage gibt es für diese Kundin nicht."
                } else {
                    "The stated support ticket does not exist for this customer."
                }
            }
            Self::HighProfile => {
                if de {
                    "Zugriff auf eine Person des öffentlichen Lebens, den kein Geschäftsvorgang erklärt."
                } else {
                    "An access to a high-profile customer that no business record explains."
                }
            }
            Self::SelfLookup => {
                if de {
                    "Die Person hat ihr eigenes Kundenkonto angesehen."
                } else {
                    "The employee looked at their own customer account."
                }
            }
            Self::SameSurnameOrPostcode => {
                if de {
                    "Die Person hat denselben Nachnamen oder dieselbe Postleitzahl wie die Kundin."
                } else {
                    "The employee shares the customer's surname or postcode."
                }
            }
            Self::SearchUnexplained => {
                if de {
                    "Die Kundin wurde per Suche gefunden, ohne dass ein Geschäftsvorgang das erklärt."
                } else {
                    "The customer was found by a search that no business record explains."
                }
            }
            Self::UnusualVolume => {
                if de {
                    "In dieser Stunde hat die Person weit mehr verschiedene Kundinnen und Kunden angesehen, als in ihrer Rolle üblich ist."
                } else {
                    "In that hour the employee looked at far more distinct customers than is usual for their role."
                }
            }
            Self::OutsideShift => {
                if de {
                    "Der Zugriff lag außerhalb der Schicht der Person."
                } else {
                    "The access was outside the employee's shift."
                }
            }
            Self::RepeatedUnexplained => {
                if de {
                    "Dieselbe Person hat dieselbe Kundin wiederholt ohne Erklärung angesehen."
                } else {
                    "The same employee looked at the same customer again and again without an explanation."
                }
            }
        }
    }
}

/// A shift in local hours, e.g. `08-17`; `22-06` crosses midnight; `00-24` is always.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shift {
    pub start: u8,
    pub end: u8,
}

impl Shift {
    pub fn parse(raw: &str) -> Option<Self> {
        let (start, end) = raw.trim().split_once('-')?;
        let (start, end): (u8, u8) = (start.trim().parse().ok()?, end.trim().parse().ok()?);
        (start <= 23 && end <= 24 && start != end).then_some(Self { start, end })
    }

    /// Whether local hour `hour` (0–23) is within the shift.
    pub fn covers(self, hour: u32) -> bool {
        let (start, end) = (u32::from(self.start), u32::from(self.end));
        if start < end {
            (start..end).contains(&hour)
        } else {
            hour >= start || hour < end
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_cover_their_hours_also_across_midnight() {
        let day = Shift::parse("08-17").unwrap();
        assert!(day.covers(8) && day.covers(16) && !day.covers(17) && !day.covers(3));
        let night = Shift::parse("22-06").unwrap();
        assert!(night.covers(23) && night.covers(0) && night.covers(5) && !night.covers(6));
        assert!(Shift::parse("00-24").unwrap().covers(23));
        for bad in ["8", "25-3", "08-08", "a-b"] {
            assert!(Shift::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn codes_round_trip() {
        for rule in Rule::ALL {
            assert_eq!(Rule::parse(rule.code()), Some(rule));
        }
        for state in ExplanationState::SHOWN {
            assert_eq!(ExplanationState::parse(state.code()), Some(state));
        }
        assert_eq!(
            ExplanationFilter::parse("unexplained").unwrap().states(),
            ["unexplained", "flagged", "violation", "pending"]
        );
    }
}
