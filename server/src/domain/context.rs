//! Business context that explains accesses: records such as a support ticket or an order
//! (`einblick.context.v1`), and the employee directory (`einblick.employee.v1`,
//! `einblick directory import`). Parsed here from loose members, the same for every way in.

use chrono::NaiveDateTime;

use super::access_event::Code;
use super::dispute::is_hidden_character;
use super::explanation::Shift;
use super::CustomerRef;

/// A business record about one customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextRecord {
    pub kind: String,
    pub reference: String,
    pub customer: CustomerRef,
    pub opened_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    pub assigned_team: Option<String>,
    pub assigned_employee_id: Option<String>,
}

/// One employee as the directory describes them. Surname and postcode are used only to match
/// against customers (kept as keyed hashes, see `transparency::LogKeys::matching_hash`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmployeeRecord {
    pub employee_id: String,
    pub surname: Option<String>,
    pub postcode: Option<String>,
    pub team: Option<String>,
    pub shift: Option<Shift>,
    pub active: bool,
    /// The employee's own customer account at the retailer, if they have one.
    pub customer: Option<CustomerRef>,
}

/// Which member is wrong and why, for the sender's developers.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ContextError {
    #[error("{0} is required")]
    Missing(&'static str),
    #[error("{0} must be 1 to {1} characters without control characters")]
    Text(&'static str, usize),
    #[error("kind must be a code of letters, digits, '_', '-' or '.'")]
    Kind,
    #[error("{0} must be an RFC 3339 timestamp")]
    Time(&'static str),
    #[error("closed_at must not be before opened_at")]
    ClosedBeforeOpened,
    #[error("customer_ref: {0}")]
    CustomerRef(String),
    #[error("shift must be local hours like 08-17 (22-06 crosses midnight)")]
    Shift,
}

/// A text member: present, not blank, not too long, no hidden characters.
pub fn text(
    raw: Option<&str>,
    name: &'static str,
    max: usize,
) -> Result<Option<String>, ContextError> {
    match raw.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(value)
            if value.chars().count() <= max
                && !value
                    .chars()
                    .any(|c| c.is_control() || is_hidden_character(c)) =>
        {
            Ok(Some(value.to_owned()))
        }
        Some(_) => Err(ContextError::Text(name, max)),
    }
}

fn required(raw: Option<&str>, name: &'static str, max: usize) -> Result<String, ContextError> {
    text(raw, name, max)?.ok_or(ContextError::Missing(name))
}

fn time(raw: Option<&str>, name: &'static str) -> Result<Option<NaiveDateTime>, ContextError> {
    raw.map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            chrono::DateTime::parse_from_rfc3339(v)
                .map(|t| t.naive_utc())
                .map_err(|_| ContextError::Time(name))
        })
        .transpose()
}

impl ContextRecord {
    pub fn parse(
        customer_ref: Option<&str>,
        kind: Option<&str>,
        reference: Option<&str>,
        opened_at: Option<&str>,
        closed_at: Option<&str>,
        assigned_team: Option<&str>,
        assigned_employee_id: Option<&str>,
    ) -> Result<Self, ContextError> {
        let customer = CustomerRef::parse(&required(customer_ref, "customer_ref", 64)?)
            .map_err(|e| ContextError::CustomerRef(e.to_string()))?;
        let kind = required(kind, "kind", 64)?;
        Code::parse(&kind).map_err(|_| ContextError::Kind)?;
        let opened_at = time(opened_at, "opened_at")?.ok_or(ContextError::Missing("opened_at"))?;
        let closed_at = time(closed_at, "closed_at")?;
        if closed_at.is_some_and(|closed| closed < opened_at) {
            return Err(ContextError::ClosedBeforeOpened);
        }
        Ok(Self {
            kind,
            reference: required(reference, "reference", 128)?,
            customer,
            opened_at,
            closed_at,
            assigned_team: text(assigned_team, "assigned_team", 128)?,
            assigned_employee_id: text(assigned_employee_id, "assigned_employee_id", 64)?,
        })
    }
}

impl EmployeeRecord {
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        employee_id: Option<&str>,
        surname: Option<&str>,
        postcode: Option<&str>,
        team: Option<&str>,
        shift: Option<&str>,
        active: Option<bool>,
        customer_ref: Option<&str>,
    ) -> Result<Self, ContextError> {
        let shift = match shift.map(str::trim).filter(|s| !s.is_empty()) {
            Some(raw) => Some(Shift::parse(raw).ok_or(ContextError::Shift)?),
            None => None,
        };
        let customer = match text(customer_ref, "customer_ref", 64)? {
            Some(raw) => Some(
                CustomerRef::parse(&raw).map_err(|e| ContextError::CustomerRef(e.to_string()))?,
            ),
            None => None,
        };
        Ok(Self {
            employee_id: required(employee_id, "employee_id", 64)?,
            surname: text(surname, "surname", 200)?,
            postcode: text(postcode, "postcode", 16)?,
            team: text(team, "team", 128)?,
            shift,
            active: active.unwrap_or(true),
            customer,
        })
    }
}

/// A surname as it is compared: case and spacing do not matter.
pub fn normalise_surname(raw: &str) -> String {
    raw.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A postcode as it is compared: no spaces, upper case.
pub fn normalise_postcode(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_context_record_is_checked() {
        let record = ContextRecord::parse(
            Some("C-1"),
            Some("support_ticket"),
            Some("T-1234"),
            Some("2026-03-03T09:00:00Z"),
            None,
            Some("Support Berlin"),
            None,
        )
        .unwrap();
        assert_eq!(record.reference, "T-1234");
        let fails = |kind, opened, closed| {
            ContextRecord::parse(Some("C-1"), kind, Some("R"), opened, closed, None, None)
                .unwrap_err()
        };
        assert_eq!(
            fails(Some("a b"), Some("2026-01-01T00:00:00Z"), None),
            ContextError::Kind
        );
        assert_eq!(
            fails(Some("order"), None, None),
            ContextError::Missing("opened_at")
        );
        assert_eq!(
            fails(
                Some("order"),
                Some("2026-01-02T00:00:00Z"),
                Some("2026-01-01T00:00:00Z")
            ),
            ContextError::ClosedBeforeOpened
        );
    }

    #[test]
    fn names_and_postcodes_compare_loosely() {
        assert_eq!(
            normalise_surname("  Müller  Lüdenscheidt "),
            "müller lüdenscheidt"
        );
        assert_eq!(normalise_postcode("sw1a 1aa"), "SW1A1AA");
        let employee = EmployeeRecord::parse(
            Some("E-1"),
            Some("Weber"),
            Some("10115"),
            None,
            Some("22-06"),
            None,
            Some("C-9"),
        )
        .unwrap();
        assert!(employee.active);
        assert_eq!(employee.shift, Shift::parse("22-06"));
        assert!(
            EmployeeRecord::parse(Some("E-1"), None, None, None, Some("9 to 5"), None, None)
                .is_err()
        );
    }
}
