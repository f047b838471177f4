//! A customer as the retailer describes them: from the shop's portal-session request, the
//! customer identity provider's claims, the `einblick.customer.v1` feed event or an import file.
//! Every way in is parsed into this one type at its edge, so the rules are the same everywhere.

use app::i18n::Lang;

use super::dispute::is_hidden_character;
use super::{CustomerRef, EmailAddress};

/// The longest display name kept (longer ones are refused, not cut).
const MAX_NAME_CHARS: usize = 200;

/// A member that was given: present and not blank.
fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// The members as they arrive (from JSON, a CSV line, a stored link, claims), before checking.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProfileFields<'a> {
    pub customer_ref: &'a str,
    pub email: Option<&'a str>,
    pub name: Option<&'a str>,
    pub locale: Option<&'a str>,
    pub time_zone: Option<&'a str>,
    pub high_profile: Option<bool>,
    pub surname: Option<&'a str>,
    pub postcode: Option<&'a str>,
}

/// What is known about a customer. `None` means "not said": a stored value stays as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerProfile {
    pub customer_ref: CustomerRef,
    pub email: Option<EmailAddress>,
    pub name: Option<String>,
    pub lang: Option<Lang>,
    /// An IANA time zone name that chrono-tz knows.
    pub time_zone: Option<String>,
    /// Public figures get extra scrutiny of every access.
    pub high_profile: Option<bool>,
    /// For matching against the employee directory only (kept as keyed hashes).
    pub surname: Option<String>,
    pub postcode: Option<String>,
}

/// Which member is wrong, and why: worded for the sender's developers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("customer_ref: {0}")]
    CustomerRef(String),
    #[error("email must be an email address like anna@example.com")]
    Email,
    #[error("name must be 1 to {MAX_NAME_CHARS} characters without control characters")]
    Name,
    #[error("locale must be a language tag starting with de or en, like de-DE")]
    Locale,
    #[error("time_zone must be an IANA time zone name like Europe/Berlin")]
    TimeZone,
    #[error("{0} must be 1 to {1} characters without control characters")]
    Text(&'static str, usize),
}

impl CustomerProfile {
    /// Checks each member; blank optional members count as not given.
    pub fn parse(fields: ProfileFields<'_>) -> Result<Self, ProfileError> {
        let ProfileFields {
            customer_ref,
            email,
            name,
            locale,
            time_zone,
            high_profile,
            surname,
            postcode,
        } = fields;
        let detail = |value: Option<&str>, member: &'static str, max: usize| {
            super::context::text(value, member, max).map_err(|_| ProfileError::Text(member, max))
        };
        let customer_ref = CustomerRef::parse(customer_ref)
            .map_err(|e| ProfileError::CustomerRef(e.to_string()))?;
        let email = given(email)
            .map(|e| EmailAddress::parse(e).map_err(|_| ProfileError::Email))
            .transpose()?;
        let name = given(name).map(parse_name).transpose()?;
        let lang = given(locale).map(parse_locale).transpose()?;
        let time_zone = given(time_zone)
            .map(|zone| {
                zone.parse::<chrono_tz::Tz>()
                    .map(|tz| tz.name().to_owned())
                    .map_err(|_| ProfileError::TimeZone)
            })
            .transpose()?;
        Ok(Self {
            customer_ref,
            email,
            name,
            lang,
            time_zone,
            high_profile,
            surname: detail(surname, "surname", 200)?,
            postcode: detail(postcode, "postcode", 16)?,
        })
    }

    /// The name shown in the portal's header: the given name, else the customer number.
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| self.customer_ref.as_str().to_owned())
    }
}

fn parse_name(raw: &str) -> Result<String, ProfileError> {
    let count = raw.chars().count();
    if count == 0
        || count > MAX_NAME_CHARS
        || raw
            .chars()
            .any(|c| c.is_control() || is_hidden_character(c))
    {
        return Err(ProfileError::Name);
    }
    Ok(raw.to_owned())
}

/// `de`, `de-AT`, `en_GB`, `EN`: the portal speaks German and English.
pub fn parse_locale(raw: &str) -> Result<Lang, ProfileError> {
    let primary = raw.split(['-', '_']).next().unwrap_or_default();
    Lang::parse(primary).ok_or(ProfileError::Locale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_checked_and_blank_means_not_given() {
        let profile = CustomerProfile::parse(ProfileFields {
            customer_ref: " C-1 ",
            email: Some("Anna@Example.com"),
            name: Some("Anna Muster"),
            locale: Some("en-GB"),
            time_zone: Some("Europe/Vienna"),
            ..ProfileFields::default()
        })
        .unwrap();
        assert_eq!(profile.customer_ref.as_str(), "C-1");
        assert_eq!(profile.lang, Some(Lang::En));
        assert_eq!(profile.time_zone.as_deref(), Some("Europe/Vienna"));
        let bare = CustomerProfile::parse(ProfileFields {
            customer_ref: "C-2",
            email: Some(" "),
            locale: Some(""),
            ..ProfileFields::default()
        })
        .unwrap();
        assert_eq!(bare.email, None);
        assert_eq!(bare.display_name(), "C-2");
    }

    #[test]
    fn wrong_members_are_named() {
        let fails = |email, name, locale, time_zone| {
            CustomerProfile::parse(ProfileFields {
                customer_ref: "C-1",
                email,
                name,
                locale,
                time_zone,
                ..ProfileFields::default()
            })
            .unwrap_err()
        };
        assert_eq!(fails(Some("nope"), None, None, None), ProfileError::Email);
        assert_eq!(
            fails(None, Some("A\u{202e}B"), None, None),
            ProfileError::Name
        );
        assert_eq!(fails(None, None, Some("fr-FR"), None), ProfileError::Locale);
        assert_eq!(
            fails(None, None, None, Some("Mars/Base")),
            ProfileError::TimeZone
        );
        assert!(matches!(
            CustomerProfile::parse(ProfileFields::default()),
            Err(ProfileError::CustomerRef(_))
        ));
    }
}
