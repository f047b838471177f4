/// An email address as typed at sign-in, normalised for lookup (trimmed, lower case).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailAddress(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailAddressError {
    #[error("an email address contains @")]
    NoAt,
    #[error("not a valid email address")]
    Invalid,
}

impl EmailAddress {
    /// Accepts `local@domain` with a dot in the domain; at most 254 characters.
    pub fn parse(raw: &str) -> Result<Self, EmailAddressError> {
        let normalised = raw.trim().to_lowercase();
        let Some((local, domain)) = normalised.split_once('@') else {
            return Err(EmailAddressError::NoAt);
        };
        let valid = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && normalised.len() <= 254
            && !normalised.chars().any(char::is_whitespace);
        if valid {
            Ok(Self(normalised))
        } else {
            Err(EmailAddressError::Invalid)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after `@`: the most the logs may say about an address.
    pub fn domain(&self) -> &str {
        self.0.split_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_trimmed_and_lower_cased() {
        assert_eq!(
            EmailAddress::parse("  Anna@Example.COM ").unwrap().as_str(),
            "anna@example.com"
        );
    }

    #[test]
    fn an_address_without_at_or_domain_dot_is_rejected() {
        for bad in [
            "",
            "anna",
            "anna@",
            "@example.com",
            "anna@example",
            "an na@example.com",
            "a@b@c.de",
        ] {
            assert!(
                EmailAddress::parse(bad).is_err(),
                "{bad} should be rejected"
            );
        }
    }

    #[test]
    fn the_domain_is_all_a_log_line_gets() {
        assert_eq!(
            EmailAddress::parse("anna@example.com").unwrap().domain(),
            "example.com"
        );
    }
}
