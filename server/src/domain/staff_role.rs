//! What each kind of staff account may do. Checked in one place so the rules read as a table.

/// The `staff_users.staff_role` column, stored as its code (`db::codes`).
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
pub enum StaffRole {
    PrivacyAnalyst,
    PrivacyLead,
    Regulator,
    Admin,
}

/// Something a staff member may try to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffPermission {
    /// See the dispute queue and open cases (and with them, customers' data).
    ReviewDisputes,
    /// Write to the customer, ask for information, keep internal notes.
    WorkOnDisputes,
    AssignDisputes,
    DecideDisputes,
    ExtendDeadlines,
    ManageStaff,
    ManageFeed,
    /// Open supervisory cases and download their subjects' reports (own authority only).
    WorkOnRegulatorCases,
    /// Aggregate figures over all accesses and disputes, no single customer in them.
    ViewStatistics,
    /// Open investigations of flagged accesses and keep notes on them.
    Investigate,
    /// Decide an investigation: appropriate or a violation.
    DecideInvestigations,
    /// Switch the detection rules, set their thresholds and which records explain which roles.
    ConfigureDetection,
}

impl StaffRole {
    pub const ALL: [StaffRole; 4] = [
        Self::PrivacyAnalyst,
        Self::PrivacyLead,
        Self::Regulator,
        Self::Admin,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::PrivacyAnalyst => "privacy_analyst",
            Self::PrivacyLead => "privacy_lead",
            Self::Regulator => "regulator",
            Self::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, super::dispute::UnknownCode> {
        Self::ALL
            .into_iter()
            .find(|r| r.code() == raw.trim())
            .ok_or_else(|| super::dispute::UnknownCode::new("staff role", raw))
    }

    /// Where a staff member with this role lands after signing in.
    pub fn home_path(self) -> &'static str {
        match self {
            Self::Admin => "/staff/admin/feed",
            Self::Regulator => "/staff/regulator",
            Self::PrivacyAnalyst | Self::PrivacyLead => "/staff",
        }
    }

    pub fn may(self, permission: StaffPermission) -> bool {
        use StaffPermission::*;
        match self {
            Self::PrivacyAnalyst => {
                matches!(permission, ReviewDisputes | WorkOnDisputes | Investigate)
            }
            Self::PrivacyLead => matches!(
                permission,
                ReviewDisputes
                    | WorkOnDisputes
                    | AssignDisputes
                    | DecideDisputes
                    | ExtendDeadlines
                    | ViewStatistics
                    | Investigate
                    | DecideInvestigations
            ),
            // Regulators work on their own cases (GDPR reports), never the dispute queue.
            Self::Regulator => matches!(permission, WorkOnRegulatorCases | ViewStatistics),
            // Admins run the portal; they do not read customers' cases.
            Self::Admin => matches!(permission, ManageStaff | ManageFeed | ConfigureDetection),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_leads_decide_assign_and_extend() {
        for permission in [
            StaffPermission::DecideDisputes,
            StaffPermission::AssignDisputes,
            StaffPermission::ExtendDeadlines,
        ] {
            let allowed: Vec<_> = StaffRole::ALL
                .into_iter()
                .filter(|r| r.may(permission))
                .collect();
            assert_eq!(allowed, [StaffRole::PrivacyLead], "{permission:?}");
        }
    }

    #[test]
    fn regulators_and_admins_never_see_disputes() {
        for role in [StaffRole::Regulator, StaffRole::Admin] {
            assert!(!role.may(StaffPermission::ReviewDisputes));
            assert!(!role.may(StaffPermission::WorkOnDisputes));
        }
    }

    #[test]
    fn roles_parse_from_their_codes() {
        for role in StaffRole::ALL {
            assert_eq!(StaffRole::parse(role.code()), Ok(role));
        }
        assert!(StaffRole::parse("root").is_err());
    }
}
